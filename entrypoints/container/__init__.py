"""The composition root: the one place that builds adapters and wires services.

Each port's adapter is picked from configuration with a ``providers.Selector``, so a
new adapter is one more entry here and nothing else changes. Tests override providers
(``container.clock.override(...)``) instead of patching modules. The factories the
providers call live beside this module, by concept: ``storage``, ``messaging``,
``identity``, ``operations`` and ``limits``.
"""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.http.deps import ApiServices, Identity
from adapters.memory.active_series import MemoryActiveSeries
from adapters.memory.cache import MemoryLatestValueCache, MemoryPubSub, MemoryRateLimiter
from adapters.memory.infrastructure import DryRunInfrastructure
from adapters.memory.notify import LogNotifier, MemoryDeliveryLedger
from adapters.memory.passwords import ScryptPasswordHasher
from adapters.memory.postmortems import MemoryPostmortemStore
from adapters.memory.repositories import MemoryUnitOfWorkRunner
from adapters.memory.runbooks import MemoryRunbookCatalogue
from adapters.memory.samples import MemorySampleStore
from adapters.memory.state import MemoryEvaluatorStateStore
from adapters.memory.workflows import InProcessWorkflowEngine
from adapters.scrape import HttpScrapeClient
from adapters.system.clock import SystemClock
from entrypoints.container import identity, limits, messaging, operations, storage
from entrypoints.container import routing as routing_wiring
from entrypoints.container.identity import watch_credentials
from entrypoints.container.limits import silence_limits
from entrypoints.container.operations import configuration_facts
from entrypoints.container.storage import setup_database
from entrypoints.settings import Settings
from services.alerting import AlertPipeline, AlertService
from services.config_changes import ConfigWatcher
from services.dead_letters import DeadLetters
from services.escalation import EscalationService
from services.external_alerts import ExternalAlertService
from services.identity import AccountService, ApiKeyService, AuditService, Authenticator, SignInService, TenantService
from services.incident_dispatch import IncidentCalls
from services.incident_feed import IncidentFeed
from services.incident_projection import IncidentProjection
from services.incidents import IncidentService
from services.ingest import IngestService
from services.maintenance import MaintenanceService
from services.maintenance_windows import MaintenanceWindowService
from services.preferences import PreferenceService
from services.dashboards import DashboardService
from services.notifications import NotificationService
from services.oncall_directory import StoredOnCallDirectory
from services.oncall_handoffs import HandoffNotifier
from services.outbox import OutboxRelay, OutboxSignal
from services.pipeline.config import load_alerting_config
from services.postmortem import PostmortemService
from services.promrules.groups import RuleGroupService
from services.promrules.overlay import RecordedOverlay
from services.queries import TelemetryQueries
from services.remediation import RemediationService
from services.routing.probe import ReceiverProbe
from services.routing import ReceiverSecrets, RoutingSeed, RoutingService, StoredAlertingConfigs, load_seed_document
from services.runbooks import RunbookService
from services.rule_dry_run import RuleDryRun
from services.rules import RuleService
from services.scrape import ScrapeService
from services.scrape_config import load_scrape_config
from services.streaming import StreamHub
from services.writer import SampleWriter

__all__ = ["Container", "build_container", "close_adapters", "configuration_facts", "setup_database", "silence_limits"]


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


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings)
    config = providers.Configuration()

    clock = providers.Singleton(SystemClock)

    sample_store = providers.Selector(
        config.sample_store,
        memory=providers.Singleton(MemorySampleStore),
        sqlite=providers.Singleton(storage.sqlite_samples, settings),
        postgres=providers.Singleton(storage.postgres_samples, settings),
    )
    # The Kafka bus is given the writer's hooks: resume at the sample store's offsets on
    # every assignment, flush the store's head before partitions move elsewhere; and the
    # evaluator's: checkpoint its state and commit before partitions move.
    evaluator_release_hook = providers.Singleton(messaging.LateHook)
    bus = providers.Selector(
        config.bus,
        memory=providers.Singleton(messaging.memory_bus, settings),
        kafka=providers.Singleton(messaging.kafka_bus, settings, sample_store, evaluator_release_hook),
    )
    uow = providers.Selector(
        config.repository,
        memory=providers.Singleton(MemoryUnitOfWorkRunner),
        django=providers.Singleton(storage.django_uow, settings),
    )
    redis = providers.Singleton(messaging.redis_client, settings)  # one pool, made only if cache="redis"
    latest_cache = providers.Selector(
        config.cache,
        memory=providers.Singleton(MemoryLatestValueCache),
        redis=providers.Singleton(messaging.redis_adapter, "RedisLatestValueCache", redis, config.redis_prefix),
    )
    pubsub = providers.Selector(
        config.cache,
        memory=providers.Singleton(MemoryPubSub),
        redis=providers.Singleton(messaging.redis_adapter, "RedisPubSub", redis, config.redis_prefix, queue_size=config.live_queue_size.as_int()),
    )
    # Configuration changed through the API (any process) reaches this process's reloaders:
    # the rule evaluators register here; config_watcher (below) adds routing and on-call.
    config_reloaders = providers.Singleton(ConfigWatcher, pubsub)
    rate_limiter = providers.Selector(
        config.cache,
        memory=providers.Singleton(MemoryRateLimiter),
        redis=providers.Singleton(messaging.redis_adapter, "RedisRateLimiter", redis, config.redis_prefix),
    )
    # The evaluator's checkpoints (ports/state.py): in Redis they survive restarts and
    # rebalances; in process they are the compact cold tier evicted watches reload from.
    evaluator_state = providers.Selector(
        config.cache,
        memory=providers.Singleton(MemoryEvaluatorStateStore),
        redis=providers.Singleton(messaging.redis_state, redis, config.redis_prefix),
    )
    task_queue = providers.Selector(
        config.tasks,
        memory=providers.Singleton(messaging.in_process_queue, settings),
        celery=providers.Singleton(messaging.celery_queue, settings),
    )
    delivery_ledger = providers.Selector(
        config.tasks,
        memory=providers.Singleton(MemoryDeliveryLedger),
        celery=providers.Singleton(messaging.redis_ledger, settings),
    )
    temporal = providers.Singleton(operations.temporal_connection, settings)  # connected (or dev server started) on first use
    workflows = providers.Selector(
        config.workflows,
        memory=providers.Singleton(InProcessWorkflowEngine),
        temporal=providers.Singleton(operations.temporal_engine, settings, temporal),
    )
    recurring_jobs = providers.Singleton(operations.temporal_jobs, settings, temporal)
    # Escalation policies and schedules are stored resources (docs/adr/0019-on-call.md);
    # the on-call file seeds a tenant once and still gives people's contacts.
    oncall_contacts = providers.Singleton(operations.oncall_directory, settings)
    oncall_config = providers.Singleton(operations.oncall_config, settings, uow, clock, pubsub)
    oncall = providers.Singleton(StoredOnCallDirectory, oncall_config, clock, oncall_contacts)
    infrastructure = providers.Selector(
        config.infrastructure,
        memory=providers.Singleton(DryRunInfrastructure),  # no cluster: every result says "dry run"
        kubernetes=providers.Singleton(operations.kubernetes, settings),
    )
    http_caller = providers.Singleton(operations.http_caller, settings)
    postmortem_store = providers.Selector(
        config.repository,
        memory=providers.Singleton(MemoryPostmortemStore),
        django=providers.Singleton(storage.django_postmortems, uow),
    )
    runbook_catalogue = providers.Selector(
        config.repository,
        memory=providers.Singleton(MemoryRunbookCatalogue, uow),  # audit entries to the memory audit log
        django=providers.Singleton(storage.django_runbooks, uow),
    )
    remediation_policy = providers.Singleton(operations.remediation_policy, settings)
    log_notifier = providers.Singleton(LogNotifier)
    notifier = providers.Selector(
        config.notifier, log=log_notifier, channels=providers.Singleton(messaging.channels_notifier, settings, log_notifier)
    )
    alerting_config = providers.Singleton(load_alerting_config, settings.provided.alerting_config)
    # Each tenant's routing, stored as resources (docs/adr/0018-notification-routing.md);
    # the JSON file (alerting_config) seeds a tenant that has none, once.
    routing_secrets = providers.Singleton(ReceiverSecrets, providers.Singleton(routing_wiring.secret_box, settings))
    routing_seed = providers.Singleton(RoutingSeed, uow, clock, routing_secrets,
                                       providers.Singleton(load_seed_document, settings.provided.alerting_config))
    alerting_configs = providers.Singleton(StoredAlertingConfigs, uow, clock, routing_secrets, routing_seed,
                                           max_age_s=settings.provided.routing_cache_s)

    ingest_limits = providers.Singleton(limits.ingest_limits, settings)
    # Per-tenant active series (OBSERVER_MAX_ACTIVE_SERIES): shared through Redis by every API replica.
    active_series = providers.Selector(
        config.cache,
        memory=providers.Singleton(MemoryActiveSeries),
        redis=providers.Singleton(messaging.redis_adapter, "RedisActiveSeries", redis, config.redis_prefix),
    )
    ingest = providers.Singleton(IngestService, bus, clock, rate_limiter, ingest_limits, active_series)
    queries = providers.Singleton(TelemetryQueries, sample_store)
    promql = providers.Singleton(limits.promql, settings, sample_store)
    rule_overlay = providers.Singleton(RecordedOverlay, sample_store)
    rule_engine = providers.Singleton(limits.promql, settings, rule_overlay)
    rule_groups = providers.Singleton(RuleGroupService, uow, evaluator_state, pubsub)
    runbooks = providers.Singleton(RunbookService, runbook_catalogue, clock, remediation_policy)
    rule_dry_run = providers.Singleton(RuleDryRun, sample_store, clock, providers.Singleton(limits.rule_dry_run, settings))
    rules = providers.Singleton(RuleService, uow, clock, pubsub, rule_dry_run)  # alert rules as resources (ADR 0017)
    # Identity (services/identity/): password hashing on the repository's technology,
    # TOTP secrets sealed with the key file. External identity providers
    # (docs/adr/0010-oidc.md) from OBSERVER_IDENTITY_PROVIDERS: the sign-in providers by
    # id, a bearer-JWT verifier per issuer, and each entry's sign-in policy.
    password_hasher = providers.Selector(
        config.repository,
        memory=providers.Singleton(ScryptPasswordHasher),
        django=providers.Singleton(identity.django_hasher, uow),
    )
    second_factor = providers.Singleton(identity.totp, settings)
    identity_options = providers.Singleton(identity.identity_options, settings)
    identity_provider_entries = providers.Singleton(identity.identity_provider_entries, settings)
    identity_providers = providers.Singleton(identity.identity_providers, identity_provider_entries, clock)
    bearer_verifiers = providers.Singleton(identity.bearer_verifiers, identity_provider_entries, clock)
    sign_in_policies = providers.Singleton(identity.sign_in_policies, identity_provider_entries, settings.provided.tenant)
    verified_keys = providers.Singleton(identity.verified_keys, settings, pubsub)
    authenticator = providers.Singleton(
        Authenticator, uow, clock, verifiers=bearer_verifiers, policies=sign_in_policies, options=identity_options,
        verified_keys=verified_keys)
    sign_in = providers.Singleton(SignInService, uow, clock, password_hasher, second_factor,
                                  policies=sign_in_policies, options=identity_options)
    accounts = providers.Singleton(AccountService, uow, clock, password_hasher, second_factor, identity_options,
                                   verified_keys=verified_keys)
    api_keys = providers.Singleton(ApiKeyService, uow, clock, verified_keys)
    tenants = providers.Singleton(TenantService, uow, clock, accounts, identity_options, verified_keys=verified_keys)
    audit = providers.Singleton(AuditService, uow, clock, retention_days=settings.provided.audit_retention_days)
    identity = providers.Singleton(
        Identity, auth=authenticator, sign_in=sign_in, accounts=accounts, keys=api_keys, tenants=tenants, audit=audit,
        providers=identity_providers, web=providers.Singleton(identity.web_options, settings),
    )
    # With Temporal the incident's workflow owns the incident (docs/adr/0002-incident-workflows.md).
    # What units of work leave in the outbox (incident events, calls for the incidents'
    # workflows) the relay handles after they commit (docs/adr/0014-one-alert-path.md).
    outbox_signal = providers.Singleton(OutboxSignal)
    incidents = providers.Singleton(
        IncidentService, uow, workflows, clock, orchestrated=providers.Callable(lambda w: w == "temporal", config.workflows),
        outbox=outbox_signal, runbooks=runbooks,
    )
    # Every notification, to a receiver or a person, goes through this one service.
    notifications = providers.Singleton(
        NotificationService, uow, notifier, delivery_ledger, alerting_configs, clock, task_queue, oncall,
        max_retries=settings.provided.notify_max_retries, claim_ttl_s=settings.provided.notify_claim_ttl_s,
        send_deadline_s=settings.provided.notify_send_deadline_s,
    )
    escalation = providers.Singleton(EscalationService, oncall, notifications)
    routing = providers.Singleton(RoutingService, uow, clock, routing_secrets, routing_seed, pubsub,
                                  probe=providers.Singleton(ReceiverProbe, notifications, alerting_configs, clock))
    oncall_handoffs = providers.Singleton(HandoffNotifier, oncall_config, uow, notifications)
    incident_projection = providers.Singleton(IncidentProjection, uow, outbox_signal)
    dead_letters = providers.Singleton(DeadLetters, bus, clock)
    outbox_relay = providers.Singleton(
        OutboxRelay, uow, clock,
        providers.List(providers.Singleton(IncidentCalls, workflows, incidents, uow, clock),
                       providers.Singleton(IncidentFeed, uow, pubsub)),
        outbox_signal, providers.Singleton(limits.relay_policy, settings),
    )
    remediation = providers.Singleton(RemediationService, infrastructure, http_caller, task_queue,
                                      policy=remediation_policy)
    postmortems = providers.Singleton(PostmortemService, postmortem_store)
    maintenance = providers.Singleton(MaintenanceService, uow)
    maintenance_windows = providers.Singleton(
        MaintenanceWindowService, uow, clock, providers.Singleton(limits.silence_limits, settings), pubsub)
    alerts = providers.Singleton(AlertService, uow, clock, providers.Singleton(limits.silence_limits, settings), pubsub)
    preferences = providers.Singleton(PreferenceService, uow, clock)  # each user's dashboard preferences
    dashboards = providers.Singleton(DashboardService, uow, clock)  # a tenant's saved dashboards
    external_alerts = providers.Singleton(
        ExternalAlertService, uow, bus, clock, ingest_limits.provided.labels
    )

    sample_maintenance = providers.Singleton(storage.sample_maintenance, settings, sample_store, clock)
    writer = providers.Singleton(SampleWriter, bus, sample_store, latest_cache, pubsub,
                                 latest_every_s=settings.provided.writer_latest_interval_s)
    evaluator = providers.Singleton(operations.evaluator, settings, bus, uow, clock, pubsub, evaluator_state, evaluator_release_hook,
                                    config_reloaders)
    rule_manager = providers.Singleton(
        operations.rule_manager, settings, uow, rule_engine, rule_overlay, ingest, bus, clock, pubsub, evaluator_state,
        ingest_limits, config_reloaders,
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
    # The process's config watcher: each concept registers what a change of its kind reloads.
    config_watcher = providers.Singleton(
        operations.watch_oncall,
        providers.Singleton(routing_wiring.watch_routing,
                            providers.Singleton(watch_credentials, config_reloaders, verified_keys), alerting_configs),
        oncall)
    stream_hub = providers.Singleton(StreamHub, pubsub, providers.Singleton(limits.stream_limits, settings))
    # Compliance evaluations: the Temporal schedule or the embedded runtime's timer runs them.
    compliance = providers.Singleton(operations.compliance, settings, uow, sample_store, clock)

    api_services = providers.Singleton(
        ApiServices,
        ingest=ingest, queries=queries, identity=identity, alerts=alerts, incidents=incidents, clock=clock,
        max_body_bytes=settings.provided.max_body_bytes,
        max_decompressed_bytes=settings.provided.max_decompressed_bytes,
        otlp=providers.Singleton(limits.otlp_options, settings), external_alerts=external_alerts,
        notifications=notifications,
        stream=stream_hub,
        compliance=compliance,
        promql=promql,
        rule_groups=rule_groups,
        rule_interval_ms=providers.Callable(lambda s: int(s.rules_evaluation_interval_s * 1000), settings),
        dead_letters=dead_letters,
        runbooks=runbooks,
        routing=routing,
        oncall=oncall_config,
        rules=rules,
        maintenance_windows=maintenance_windows,
        preferences=preferences,
        dashboards=dashboards,
    )


def build_container(settings: Settings | None = None) -> Container:
    container = Container()
    settings = settings or Settings()
    container.settings.override(providers.Object(settings))
    container.config.from_dict(settings.model_dump(mode="json"))
    return container
