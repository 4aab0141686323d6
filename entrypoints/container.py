"""The composition root: the one place that builds adapters and wires services.

Each port's adapter is picked from configuration with a ``providers.Selector``, so a
new adapter is one more entry here and nothing else changes. Tests override providers
(``container.clock.override(...)``) instead of patching modules.
"""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.http.deps import ApiServices, Identity, WebOptions
from adapters.http.ingest_formats.otlp_mapping import OtlpOptions
from adapters.memory.bus import MemoryBus
from adapters.memory.cache import MemoryLatestValueCache, MemoryPubSub, MemoryRateLimiter
from adapters.memory.infrastructure import DryRunInfrastructure
from adapters.memory.notify import LogNotifier, MemoryDeliveryLedger
from adapters.memory.oncall import MemoryOnCallDirectory
from adapters.memory.postmortems import MemoryPostmortemStore
from adapters.memory.repositories import MemoryUnitOfWorkRunner
from adapters.memory.runbooks import MemoryRunbookCatalogue
from adapters.memory.samples import MemorySampleStore
from adapters.memory.state import MemoryEvaluatorStateStore
from adapters.memory.tasks import InProcessTaskQueue
from adapters.memory.passwords import ScryptPasswordHasher
from adapters.memory.workflows import RecordingWorkflowEngine
from adapters.system.clock import SystemClock
from domain.alerts.silences import SilenceLimits
from domain.identity.sign_in_policy import SignInPolicy
from domain.identity.throttle import LoginThrottle
from domain.metrics.batch import TimeWindow
from domain.metrics.labels import LabelLimits
from domain.remediation.policy import RemediationPolicy
from entrypoints import credentials
from entrypoints.settings import Settings
from ports.samples import Maintainable
from services.alerting import AlertPipeline, AlertService
from services.compliance import ComplianceService
from services.notifications import NotificationService
from services.pipeline.config import load_alerting_config
from services.evaluator import EVALUATOR_GROUP, RuleEvaluator
from services.external_alerts import ExternalAlertService
from services.escalation import EscalationService
from services.identity import (
    AccountService,
    ApiKeyService,
    AuditService,
    Authenticator,
    IdentityOptions,
    SignInService,
    TenantService,
)
from services.incident_projection import IncidentProjection
from services.incidents import IncidentService
from services.ingest import IngestLimits, IngestService
from services.maintenance import MaintenanceService
from services.postmortem import PostmortemService
from services.promql import PromQLEngine, QueryLimits
from services.promrules.groups import RuleGroupService
from services.promrules.manager import RuleManager
from services.promrules.overlay import RecordedOverlay
from services.queries import TelemetryQueries
from services.sample_maintenance import MaintenancePolicy, SampleMaintenance
from services.remediation import RemediationService
from services.runbooks import RunbookService
from services.user_notifications import UserNotifications
from services.writer import WRITER_GROUP, SampleWriter
from services.scrape import ScrapeService
from services.scrape_config import load_scrape_config
from services.streaming import StreamHub, StreamLimits
from adapters.scrape import HttpScrapeClient


def _limits(s: Settings) -> IngestLimits:
    return IngestLimits(
        max_samples_per_batch=s.max_samples_per_batch,
        max_series_per_batch=s.max_series_per_batch,
        labels=LabelLimits(s.max_labels_per_series, s.max_label_name_length, s.max_label_value_length),
        window=TimeWindow(s.max_sample_age_s * 1000, s.max_sample_future_s * 1000),
        max_consumer_lag=s.max_consumer_lag,
        rate_samples_per_s=s.ingest_rate_samples_per_s,
        rate_burst=s.ingest_rate_burst,
        known_series=s.known_series,
    )


def setup_database(s: Settings) -> None:
    """Configure Django and run ``django.setup()``: once per process, here only."""
    from adapters.django_orm import setup_django

    setup_django(credentials.django_database_url(s), data_dir=s.data_dir)


def _django_uow(s: Settings):
    setup_database(s)
    from adapters.django_orm.unit_of_work import DjangoUnitOfWorkRunner  # models need setup first

    return DjangoUnitOfWorkRunner()


def _django_runbooks(runner):
    from adapters.django_orm.remediation.catalogue import DjangoRunbookCatalogue  # after Django is set up

    return DjangoRunbookCatalogue(runner)


def _remediation_policy(s: Settings) -> RemediationPolicy:
    return RemediationPolicy.of(s.remediation_namespaces, s.remediation_tasks)


def _django_postmortems(runner):
    """Postmortems on the Django runner's pool and database, so the API and the Temporal
    worker (separate processes) share them; ``runner`` set Django up already."""
    from adapters.django_orm.incidents.postmortems import DjangoPostmortemStore

    return DjangoPostmortemStore(runner)


def _otlp_options(s: Settings) -> OtlpOptions:
    return OtlpOptions(
        promote_resource_attributes=tuple(s.otlp_promote_resource_attributes),
        add_suffixes=s.otlp_add_metric_suffixes,
        exp_histogram_scale=s.otlp_exp_histogram_scale,
        max_labels=s.max_labels_per_series,
        max_label_value_length=s.max_label_value_length,
    )


def _kafka_bus(s: Settings, store, evaluator_release=None):
    """aiokafka is imported only when the Kafka bus is chosen (the embedded stack runs without it)."""
    from adapters.kafka import GroupHooks, KafkaBus, KafkaConfig

    config = KafkaConfig(
        bootstrap=s.kafka_bootstrap, partitions=s.bus_partitions, replication=s.kafka_replication,
        idempotence=s.kafka_idempotence, compression=None if s.kafka_compression == "none" else s.kafka_compression,
        session_timeout_ms=s.kafka_session_timeout_ms, lag_cache_s=s.kafka_lag_cache_s,
        security=credentials.kafka_security(s),
    )
    flush = getattr(store, "flush", None)  # ports.samples.Flushable, where the store buffers
    hooks = {WRITER_GROUP: GroupHooks(positions=store.positions, before_revoke=flush)}
    if evaluator_release is not None:  # the evaluator checkpoints and forgets before partitions move
        hooks[EVALUATOR_GROUP] = GroupHooks(before_revoke=evaluator_release)
    return KafkaBus(config, hooks=hooks)


def _redis_client(s: Settings):
    from adapters.redis import connect

    return connect(s.redis_url, **credentials.redis_options(s))


class _LateHook:
    """A hook the bus is built with and the evaluator plugs into afterwards: the evaluator
    needs the bus, so the bus cannot be given the evaluator."""

    def __init__(self) -> None:
        self.target = None

    async def __call__(self) -> None:
        if self.target is not None:
            await self.target()


def _redis_state(client, prefix: str):
    from adapters.redis.state import RedisEvaluatorStateStore

    return RedisEvaluatorStateStore(client, prefix)


def _evaluator(s: Settings, bus, uow, clock, pubsub, state, release_hook: _LateHook) -> RuleEvaluator:
    """The evaluator with its checkpoint store (docs/adr/0007-evaluator-state.md)."""
    evaluator = RuleEvaluator(
        bus, uow, clock, pubsub=pubsub, state=state, max_window_samples=s.evaluator_max_window_samples,
        checkpoint_interval_s=s.evaluator_checkpoint_s, state_ttl_s=s.evaluator_state_ttl_s,
        max_watches=s.evaluator_max_watches, idle_evict_s=s.evaluator_idle_evict_s,
    )
    release_hook.target = evaluator.release
    return evaluator


def _redis_adapter(name: str, client, prefix: str, **options):
    import adapters.redis

    return getattr(adapters.redis, name)(client, prefix, **options)


async def close_adapters(container: "Container") -> None:
    """Release what the production adapters hold (flush the store, leave consumer
    groups, close connections). Only adapters the configuration selected are touched."""
    s = container.settings()
    for provider in (container.sample_store, container.bus, container.pubsub):
        close = getattr(provider(), "close", None)
        if close is not None:
            await close()
    if s.cache == "redis":
        await container.redis().aclose()
    if s.tasks == "celery":
        container.task_queue().close()  # the Redis client and the handlers' loop thread
    if s.workflows == "temporal":
        await container.temporal().close()  # and stops the embedded dev server if we started it


def _celery_queue(s: Settings):
    from adapters.celery.app import create_celery_app  # Celery is only loaded when chosen
    from adapters.celery.tasks import CeleryTaskQueue

    broker = credentials.celery_broker_url(s)
    app = create_celery_app(broker, s.celery_result_backend, s.celery_queue, ssl=credentials.celery_ssl(s))
    return CeleryTaskQueue(app, broker, queue=s.celery_queue, backoff_base_s=s.task_backoff_s,
                           backoff_max_s=s.task_backoff_max_s, redis_options=credentials.redis_options(s, broker))


def _redis_ledger(s: Settings):
    from adapters.celery.ledger import RedisDeliveryLedger

    broker = credentials.celery_broker_url(s)
    return RedisDeliveryLedger(broker, namespace=f"observer-eye:{s.celery_queue}",
                               redis_options=credentials.redis_options(s, broker))


def _in_process_queue(s: Settings) -> InProcessTaskQueue:
    return InProcessTaskQueue(base_backoff_s=s.task_backoff_s, max_backoff_s=s.task_backoff_max_s)


def _channels_notifier(s: Settings, log: LogNotifier):
    from adapters.notify.dispatch import ChannelNotifier, channel_notifiers

    return ChannelNotifier({"log": log, **channel_notifiers(s.outgoing_allow, s.notify_timeout_s)})


def _promql(s: Settings, store) -> PromQLEngine:
    limits = QueryLimits(
        max_series=s.promql_max_series, max_samples=s.promql_max_samples, max_points=s.promql_max_points,
        timeout_s=s.promql_timeout_s, max_concurrent_per_tenant=s.promql_max_concurrent_per_tenant,
    )
    return PromQLEngine(store, limits, lookback_ms=int(s.promql_lookback_s * 1000), workers=s.promql_workers)


def _sqlite_samples(s: Settings):
    from adapters.sqlite_store import SqliteSampleStore  # imported only when chosen

    return SqliteSampleStore(s.data_dir / "samples.db")


def _postgres_samples(s: Settings):
    from adapters.postgres import PostgresSampleStore  # psycopg and numpy only when chosen

    return PostgresSampleStore(credentials.samples_database_url(s), flush_interval_s=s.samples_flush_interval_s)


def _temporal_connection(s: Settings):
    from adapters.temporal.connection import TemporalConnection  # temporalio only when chosen

    return TemporalConnection(s.temporal_address, s.temporal_namespace, data_dir=s.data_dir, dev_port=s.temporal_dev_port,
                              **credentials.temporal_options(s))


def _temporal_engine(s: Settings, connection):
    from adapters.temporal.engine import TemporalWorkflowEngine

    return TemporalWorkflowEngine(connection, s.temporal_task_queue)


def _temporal_jobs(s: Settings, connection):
    from adapters.temporal.schedules import TemporalRecurringJobs

    return TemporalRecurringJobs(connection, s.temporal_task_queue)


def _oncall_directory(s: Settings) -> MemoryOnCallDirectory:
    return MemoryOnCallDirectory.from_file(s.oncall_file) if s.oncall_file else MemoryOnCallDirectory()


def _kubernetes(s: Settings):
    from adapters.kubernetes.client import KubernetesInfrastructure

    if not s.kubernetes_api_url:
        return KubernetesInfrastructure.in_cluster()
    token = s.kubernetes_token.get_secret_value() if s.kubernetes_token else None
    return KubernetesInfrastructure(s.kubernetes_api_url, token=token)


def _http_caller(s: Settings):
    from adapters.outbound.http_caller import GuardedHttpCaller

    return GuardedHttpCaller(s.outgoing_allow)


def _django_hasher(runner):
    """Django's password hashers; ``runner`` set Django up already."""
    from adapters.django_orm.identity.passwords import DjangoPasswordHasher

    return DjangoPasswordHasher()


def _totp(s: Settings):
    from adapters.totp import TotpAuthenticator, load_or_create_key

    return TotpAuthenticator(load_or_create_key(s.identity_key_file or s.data_dir / "identity-key"))


def _identity_options(s: Settings) -> IdentityOptions:
    lockout_ms = s.login_lockout_s * 1000
    return IdentityOptions(
        default_tenant=s.tenant, session_idle_ms=s.session_idle_s * 1000, session_lifetime_ms=s.session_lifetime_s * 1000,
        throttle=LoginThrottle(max_failures=s.login_max_failures, window_ms=lockout_ms, lockout_ms=lockout_ms,
                               max_lockout_ms=max(lockout_ms, 24 * 3_600_000)),
    )


def _sign_in_policies(s: Settings) -> dict[str, SignInPolicy]:
    return {provider: SignInPolicy.from_config(provider, config) for provider, config in s.sign_in_policies.items()}


def _web_options(s: Settings) -> WebOptions:
    return WebOptions(cookie_secure=s.cookie_secure, public_url=s.public_url, docs_public=s.docs_public,
                      session_lifetime_s=s.session_lifetime_s)


def configuration_facts(s: Settings) -> dict[str, object]:
    """Compliance facts the settings prove (services/compliance.py merges them under the
    derived and pushed facts). Only what this process knows for sure: it serves plain
    HTTP itself, and whether an ingress in front of it enforces TLS, or where audit logs
    go, is outside its view; so ``ingest.tls.*`` and ``audit.*`` are left for the
    deployment to push rather than guessed."""
    return {
        "platform.repository": s.repository,  # "memory": evaluations and facts are lost at restart
        "platform.sample_store": s.sample_store,
        "platform.outgoing.private_addresses_allowed": bool(s.outgoing_allow),
        "platform.scrape.verify_tls": s.scrape_verify_tls,
        "audit.retention_days": s.audit_retention_days,  # `audit purge` deletes nothing younger
    }


def _compliance(s: Settings, uow, store, clock) -> ComplianceService:
    return ComplianceService(uow, store, clock, system_facts=lambda: configuration_facts(s))


def _sample_maintenance(s: Settings, store, clock) -> SampleMaintenance | None:
    """Retention and compaction for the writer to run; None when switched off or when
    the selected store keeps no upkeep (not ``ports.samples.Maintainable``)."""
    if not s.samples_maintenance or not isinstance(store, Maintainable):
        return None
    policy = MaintenancePolicy(
        retention_ms=s.samples_retention_days * 24 * 3600 * 1000,
        compact_after_ms=s.samples_compact_after_s * 1000,
        interval_s=s.samples_maintenance_interval_s,
    )
    return SampleMaintenance(store, clock, policy)


def _rule_manager(s: Settings, uow, engine, overlay, ingest, bus, clock, pubsub, state, limits: IngestLimits) -> RuleManager:
    """PromQL rules on their own engine (its own threads: rules never wait behind
    dashboard queries) reading through the overlay of what they just recorded."""
    if s.rules_shard >= s.rules_shards:
        raise ValueError(f"OBSERVER_RULES_SHARD={s.rules_shard} must be below OBSERVER_RULES_SHARDS={s.rules_shards}")
    return RuleManager(
        uow, engine, overlay, ingest, bus, clock, pubsub=pubsub, state=state,
        default_interval_ms=int(s.rules_evaluation_interval_s * 1000), external_labels=s.rules_external_labels,
        external_url=s.rules_external_url or s.url, shard=s.rules_shard, shards=s.rules_shards,
        refresh_s=s.rules_refresh_s, label_limits=limits.labels,
    )


def silence_limits(s: Settings) -> SilenceLimits:
    return SilenceLimits(max_duration_ms=s.max_silence_duration_s * 1000, max_window_ms=s.max_maintenance_window_s * 1000,
                         max_span_ms=s.max_maintenance_span_s * 1000)


def _stream_limits(s: Settings) -> StreamLimits:
    return StreamLimits(
        max_pending_series=s.stream_max_pending_series, max_pending_events=s.stream_max_pending_events,
        slow_grace_s=s.stream_slow_grace_s, max_selectors=s.stream_max_selectors,
    )


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings)
    config = providers.Configuration()

    clock = providers.Singleton(SystemClock)

    sample_store = providers.Selector(
        config.sample_store,
        memory=providers.Singleton(MemorySampleStore),
        sqlite=providers.Singleton(_sqlite_samples, settings),
        postgres=providers.Singleton(_postgres_samples, settings),
    )
    # The Kafka bus is given the writer's hooks: resume at the sample store's offsets on
    # every assignment, flush the store's head before partitions move elsewhere; and the
    # evaluator's: checkpoint its state and commit before partitions move.
    evaluator_release_hook = providers.Singleton(_LateHook)
    bus = providers.Selector(
        config.bus,
        memory=providers.Singleton(MemoryBus, partitions=config.bus_partitions.as_int()),
        kafka=providers.Singleton(_kafka_bus, settings, sample_store, evaluator_release_hook),
    )
    uow = providers.Selector(
        config.repository,
        memory=providers.Singleton(MemoryUnitOfWorkRunner),
        django=providers.Singleton(_django_uow, settings),
    )
    redis = providers.Singleton(_redis_client, settings)  # one pool, made only if cache="redis"
    latest_cache = providers.Selector(
        config.cache,
        memory=providers.Singleton(MemoryLatestValueCache),
        redis=providers.Singleton(_redis_adapter, "RedisLatestValueCache", redis, config.redis_prefix),
    )
    pubsub = providers.Selector(
        config.cache,
        memory=providers.Singleton(MemoryPubSub),
        redis=providers.Singleton(_redis_adapter, "RedisPubSub", redis, config.redis_prefix, queue_size=config.live_queue_size.as_int()),
    )
    rate_limiter = providers.Selector(
        config.cache,
        memory=providers.Singleton(MemoryRateLimiter),
        redis=providers.Singleton(_redis_adapter, "RedisRateLimiter", redis, config.redis_prefix),
    )
    # The evaluator's checkpoints (ports/state.py): in Redis they survive restarts and
    # rebalances; in process they are the compact cold tier evicted watches reload from.
    evaluator_state = providers.Selector(
        config.cache,
        memory=providers.Singleton(MemoryEvaluatorStateStore),
        redis=providers.Singleton(_redis_state, redis, config.redis_prefix),
    )
    task_queue = providers.Selector(
        config.tasks,
        memory=providers.Singleton(_in_process_queue, settings),
        celery=providers.Singleton(_celery_queue, settings),
    )
    delivery_ledger = providers.Selector(
        config.tasks,
        memory=providers.Singleton(MemoryDeliveryLedger),
        celery=providers.Singleton(_redis_ledger, settings),
    )
    temporal = providers.Singleton(_temporal_connection, settings)  # connected (or dev server started) on first use
    workflows = providers.Selector(
        config.workflows,
        memory=providers.Singleton(RecordingWorkflowEngine),
        temporal=providers.Singleton(_temporal_engine, settings, temporal),
    )
    recurring_jobs = providers.Singleton(_temporal_jobs, settings, temporal)
    oncall = providers.Singleton(_oncall_directory, settings)
    infrastructure = providers.Selector(
        config.infrastructure,
        memory=providers.Singleton(DryRunInfrastructure),  # no cluster: every result says "dry run"
        kubernetes=providers.Singleton(_kubernetes, settings),
    )
    http_caller = providers.Singleton(_http_caller, settings)
    postmortem_store = providers.Selector(
        config.repository,
        memory=providers.Singleton(MemoryPostmortemStore),
        django=providers.Singleton(_django_postmortems, uow),
    )
    runbook_catalogue = providers.Selector(
        config.repository,
        memory=providers.Singleton(MemoryRunbookCatalogue),
        django=providers.Singleton(_django_runbooks, uow),
    )
    remediation_policy = providers.Singleton(_remediation_policy, settings)
    log_notifier = providers.Singleton(LogNotifier)
    notifier = providers.Selector(
        config.notifier, log=log_notifier, channels=providers.Singleton(_channels_notifier, settings, log_notifier)
    )
    alerting_config = providers.Singleton(load_alerting_config, settings.provided.alerting_config)

    ingest_limits = providers.Singleton(_limits, settings)
    ingest = providers.Singleton(IngestService, bus, clock, rate_limiter, ingest_limits)
    queries = providers.Singleton(TelemetryQueries, sample_store)
    promql = providers.Singleton(_promql, settings, sample_store)
    rule_overlay = providers.Singleton(RecordedOverlay, sample_store)
    rule_engine = providers.Singleton(_promql, settings, rule_overlay)
    rule_groups = providers.Singleton(RuleGroupService, uow, evaluator_state)
    runbooks = providers.Singleton(RunbookService, runbook_catalogue, clock, remediation_policy)
    # Identity (services/identity/): password hashing on the repository's technology,
    # TOTP secrets sealed with the key file. Identity providers (id -> provider) and the
    # verifiers of bearer JWTs come from the OIDC adapter; none is configured here yet.
    password_hasher = providers.Selector(
        config.repository,
        memory=providers.Singleton(ScryptPasswordHasher),
        django=providers.Singleton(_django_hasher, uow),
    )
    second_factor = providers.Singleton(_totp, settings)
    identity_options = providers.Singleton(_identity_options, settings)
    sign_in_policies = providers.Singleton(_sign_in_policies, settings)
    identity_providers = providers.Object({})
    bearer_verifiers = providers.Object(())
    authenticator = providers.Singleton(
        Authenticator, uow, clock, verifiers=bearer_verifiers, policies=sign_in_policies, options=identity_options)
    sign_in = providers.Singleton(SignInService, uow, clock, password_hasher, second_factor,
                                  policies=sign_in_policies, options=identity_options)
    accounts = providers.Singleton(AccountService, uow, clock, password_hasher, second_factor, identity_options)
    api_keys = providers.Singleton(ApiKeyService, uow, clock)
    tenants = providers.Singleton(TenantService, uow, clock, accounts, identity_options)
    audit = providers.Singleton(AuditService, uow, clock, retention_days=settings.provided.audit_retention_days)
    identity = providers.Singleton(
        Identity, auth=authenticator, sign_in=sign_in, accounts=accounts, keys=api_keys, tenants=tenants, audit=audit,
        providers=identity_providers, web=providers.Singleton(_web_options, settings),
    )
    # With Temporal the incident's workflow owns the incident (docs/adr/0002-incident-workflows.md).
    incidents = providers.Singleton(
        IncidentService, uow, workflows, clock, orchestrated=providers.Callable(lambda w: w == "temporal", config.workflows),
        pubsub=pubsub, runbooks=runbooks,
    )
    user_notifications = providers.Singleton(UserNotifications, oncall, notifier, delivery_ledger)
    escalation = providers.Singleton(EscalationService, oncall, user_notifications)
    incident_projection = providers.Singleton(IncidentProjection, uow)
    remediation = providers.Singleton(RemediationService, infrastructure, http_caller, task_queue,
                                      policy=remediation_policy)
    postmortems = providers.Singleton(PostmortemService, postmortem_store)
    maintenance = providers.Singleton(MaintenanceService, uow)
    alerts = providers.Singleton(AlertService, uow, clock, providers.Singleton(silence_limits, settings))
    external_alerts = providers.Singleton(
        ExternalAlertService, uow, bus, clock, ingest_limits.provided.labels
    )

    sample_maintenance = providers.Singleton(_sample_maintenance, settings, sample_store, clock)
    writer = providers.Singleton(SampleWriter, bus, sample_store, latest_cache, pubsub)
    evaluator = providers.Singleton(_evaluator, settings, bus, uow, clock, pubsub, evaluator_state, evaluator_release_hook)
    notifications = providers.Singleton(
        NotificationService, uow, notifier, delivery_ledger, alerting_config, clock,
        max_retries=settings.provided.notify_max_retries,
    )
    rule_manager = providers.Singleton(
        _rule_manager, settings, uow, rule_engine, rule_overlay, ingest, bus, clock, pubsub, evaluator_state, ingest_limits,
    )
    pipeline = providers.Singleton(
        AlertPipeline, bus, uow, incidents, notifications, task_queue, clock,
        tick_interval_s=settings.provided.pipeline_tick_s,
    )

    # Scraping (services/scrape.py: the embedded runtime or `observer-eye scrape` runs it)
    # and live updates for /api/v1/stream (services/streaming.py: one hub per process).
    scrape_config = providers.Singleton(load_scrape_config, settings.provided.scrape_config, settings.provided.tenant)
    scrape_client = providers.Singleton(HttpScrapeClient, verify_tls=settings.provided.scrape_verify_tls)
    scraper = providers.Singleton(ScrapeService, scrape_client, ingest, clock, scrape_config)
    stream_hub = providers.Singleton(StreamHub, pubsub, providers.Singleton(_stream_limits, settings))
    # Compliance evaluations: the Temporal schedule or the embedded runtime's timer runs them.
    compliance = providers.Singleton(_compliance, settings, uow, sample_store, clock)

    api_services = providers.Singleton(
        ApiServices,
        ingest=ingest, queries=queries, identity=identity, alerts=alerts, incidents=incidents, clock=clock,
        max_body_bytes=settings.provided.max_body_bytes,
        max_decompressed_bytes=settings.provided.max_decompressed_bytes,
        otlp=providers.Singleton(_otlp_options, settings), external_alerts=external_alerts,
        notifications=notifications,
        stream=stream_hub,
        compliance=compliance,
        promql=promql,
        rule_groups=rule_groups,
        rule_interval_ms=providers.Callable(lambda s: int(s.rules_evaluation_interval_s * 1000), settings),
        runbooks=runbooks,
    )


def build_container(settings: Settings | None = None) -> Container:
    container = Container()
    settings = settings or Settings()
    container.settings.override(providers.Object(settings))
    container.config.from_dict(settings.model_dump(mode="json"))
    return container
