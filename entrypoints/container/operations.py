"""What acts on the world: the evaluator, Temporal, on-call, remediation's
infrastructure and outgoing HTTP, compliance."""

from __future__ import annotations

from adapters.memory.oncall import MemoryOnCallDirectory, read_seeds
from domain.remediation.policy import RemediationPolicy
from entrypoints import credentials
from entrypoints.container.messaging import LateHook
from entrypoints.settings import Settings
from services.compliance import ComplianceService
from services.config_changes import ConfigWatcher
from services.evaluator import RuleEvaluator
from services.config_changes import ConfigWatcher
from services.ingest import IngestLimits
from services.oncall_config import ANNOUNCED_KIND, OnCallConfigService
from services.oncall_directory import StoredOnCallDirectory
from services.promrules.manager import RuleManager


def evaluator(s: Settings, bus, uow, clock, pubsub, state, release_hook: LateHook,
              watcher: ConfigWatcher | None = None) -> RuleEvaluator:
    """The evaluator with its checkpoint store (docs/adr/0007-evaluator-state.md); rule
    changes announced by any process make it read the rules again at once."""
    evaluator = RuleEvaluator(
        bus, uow, clock, pubsub=pubsub, state=state, max_window_samples=s.evaluator_max_window_samples,
        rules_refresh_s=s.evaluator_rules_refresh_s,
        checkpoint_interval_s=s.evaluator_checkpoint_s, state_ttl_s=s.evaluator_state_ttl_s,
        max_watches=s.evaluator_max_watches, idle_evict_s=s.evaluator_idle_evict_s,
    )
    release_hook.target = evaluator.release
    if watcher is not None:
        watcher.on("rules", evaluator.on_rules_changed)
    return evaluator


def temporal_connection(s: Settings):
    from adapters.temporal.connection import TemporalConnection  # temporalio only when chosen

    return TemporalConnection(s.temporal_address, s.temporal_namespace, data_dir=s.data_dir, dev_port=s.temporal_dev_port,
                              **credentials.temporal_options(s))


def temporal_engine(s: Settings, connection):
    from adapters.temporal.engine import TemporalWorkflowEngine

    return TemporalWorkflowEngine(connection, s.temporal_task_queue)


def temporal_jobs(s: Settings, connection):
    from adapters.temporal.schedules import TemporalRecurringJobs

    return TemporalRecurringJobs(connection, s.temporal_task_queue)


def oncall_directory(s: Settings) -> MemoryOnCallDirectory:
    return MemoryOnCallDirectory.from_file(s.oncall_file) if s.oncall_file else MemoryOnCallDirectory()


def oncall_config(s: Settings, uow, clock, pubsub) -> OnCallConfigService:
    """Stored policies and schedules; the on-call file only seeds a tenant, once."""
    return OnCallConfigService(uow, clock, pubsub, read_seeds(s.oncall_file) if s.oncall_file else {})


def watch_oncall(watcher: ConfigWatcher, directory: StoredOnCallDirectory) -> ConfigWatcher:
    """The ``oncall`` announcement drops the directory's cached copy of the tenant."""
    watcher.on(ANNOUNCED_KIND, directory.reload)
    return watcher


def kubernetes(s: Settings):
    from adapters.kubernetes.client import KubernetesInfrastructure

    if not s.kubernetes_api_url:
        return KubernetesInfrastructure.in_cluster()
    token = s.kubernetes_token.get_secret_value() if s.kubernetes_token else None
    return KubernetesInfrastructure(s.kubernetes_api_url, token=token)


def http_caller(s: Settings):
    from adapters.outbound.http_caller import GuardedHttpCaller

    return GuardedHttpCaller(s.outgoing_allow)


def remediation_policy(s: Settings) -> RemediationPolicy:
    return RemediationPolicy.of(s.remediation_namespaces, s.remediation_tasks)


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


def compliance(s: Settings, uow, store, clock) -> ComplianceService:
    return ComplianceService(uow, store, clock, system_facts=lambda: configuration_facts(s))


def rule_manager(s: Settings, uow, engine, overlay, ingest, bus, clock, pubsub, state, limits: IngestLimits,
                 watcher: ConfigWatcher | None = None) -> RuleManager:
    """PromQL rules on their own engine (its own threads: rules never wait behind
    dashboard queries) reading through the overlay of what they just recorded."""
    if s.rules_shard >= s.rules_shards:
        raise ValueError(f"OBSERVER_RULES_SHARD={s.rules_shard} must be below OBSERVER_RULES_SHARDS={s.rules_shards}")
    manager = RuleManager(
        uow, engine, overlay, ingest, bus, clock, pubsub=pubsub, state=state,
        default_interval_ms=int(s.rules_evaluation_interval_s * 1000), external_labels=s.rules_external_labels,
        external_url=s.rules_external_url or s.url, shard=s.rules_shard, shards=s.rules_shards,
        refresh_s=s.rules_refresh_s, label_limits=limits.labels,
    )
    if watcher is not None:
        watcher.on("rule_groups", manager.on_groups_changed)  # a group changed through the API or CLI
    return manager
