"""The composition root: the one place that builds adapters and wires services.

Each port's adapter is picked from configuration with a ``providers.Selector``, so a
new adapter is one more entry here and nothing else changes. Tests override providers
(``container.clock.override(...)``) instead of patching modules.
"""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.http.deps import ApiServices
from adapters.memory.bus import MemoryBus
from adapters.memory.cache import MemoryLatestValueCache, MemoryPubSub, MemoryRateLimiter
from adapters.memory.notify import LogNotifier
from adapters.memory.repositories import MemoryUnitOfWorkRunner
from adapters.memory.samples import MemorySampleStore
from adapters.memory.tasks import InProcessTaskQueue
from adapters.memory.tokens import LocalTokenIssuer
from adapters.memory.workflows import RecordingWorkflowEngine
from adapters.system.clock import SystemClock
from domain.metrics.batch import TimeWindow
from domain.metrics.labels import LabelLimits
from entrypoints.settings import Settings
from services.alerting import AlertPipeline, AlertService
from services.evaluator import RuleEvaluator
from services.identity import IdentityService
from services.incidents import IncidentService
from services.ingest import IngestLimits, IngestService
from services.queries import TelemetryQueries
from services.writer import SampleWriter


def _limits(s: Settings) -> IngestLimits:
    return IngestLimits(
        max_samples_per_batch=s.max_samples_per_batch,
        max_series_per_batch=s.max_series_per_batch,
        labels=LabelLimits(s.max_labels_per_series, s.max_label_name_length, s.max_label_value_length),
        window=TimeWindow(s.max_sample_age_s * 1000, s.max_sample_future_s * 1000),
        max_consumer_lag=s.max_consumer_lag,
        rate_samples_per_s=s.ingest_rate_samples_per_s,
        rate_burst=s.ingest_rate_burst,
    )


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings)
    config = providers.Configuration()

    clock = providers.Singleton(SystemClock)

    bus = providers.Selector(config.bus, memory=providers.Singleton(MemoryBus, partitions=config.bus_partitions.as_int()))
    sample_store = providers.Selector(config.sample_store, memory=providers.Singleton(MemorySampleStore))
    uow = providers.Selector(config.repository, memory=providers.Singleton(MemoryUnitOfWorkRunner))
    latest_cache = providers.Selector(config.cache, memory=providers.Singleton(MemoryLatestValueCache))
    pubsub = providers.Selector(config.cache, memory=providers.Singleton(MemoryPubSub))
    rate_limiter = providers.Selector(config.cache, memory=providers.Singleton(MemoryRateLimiter))
    task_queue = providers.Selector(config.tasks, memory=providers.Singleton(InProcessTaskQueue))
    workflows = providers.Selector(config.workflows, memory=providers.Singleton(RecordingWorkflowEngine))
    notifier = providers.Selector(config.notifier, log=providers.Singleton(LogNotifier))
    tokens = providers.Singleton(LocalTokenIssuer)

    ingest_limits = providers.Singleton(_limits, settings)
    ingest = providers.Singleton(IngestService, bus, clock, rate_limiter, ingest_limits)
    queries = providers.Singleton(TelemetryQueries, sample_store)
    identity = providers.Singleton(IdentityService, uow, clock, tokens)
    incidents = providers.Singleton(IncidentService, uow, workflows, clock)
    alerts = providers.Singleton(AlertService, uow, clock)

    writer = providers.Singleton(SampleWriter, bus, sample_store, latest_cache, pubsub)
    evaluator = providers.Singleton(RuleEvaluator, bus, uow, clock)
    pipeline = providers.Singleton(AlertPipeline, bus, uow, incidents)

    api_services = providers.Singleton(
        ApiServices,
        ingest=ingest, queries=queries, identity=identity, alerts=alerts, incidents=incidents, clock=clock,
        max_body_bytes=settings.provided.max_body_bytes,
    )


def build_container(settings: Settings | None = None) -> Container:
    container = Container()
    settings = settings or Settings()
    container.settings.override(providers.Object(settings))
    container.config.from_dict(settings.model_dump(mode="json"))
    return container
