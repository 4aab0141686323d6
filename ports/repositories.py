"""Repositories and the unit of work.

A use case runs as one *sync* function over a unit of work: the adapter runs it in a
transaction (Django: ``transaction.atomic`` in a worker thread via ``sync_to_async``),
so async callers never hold a database connection across an ``await``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from domain.alerts.history import AlertDecision
from domain.alerts.maintenance import MaintenanceWindow
from domain.alerts.rule_groups import RuleGroup
from domain.alerts.rules import AbsenceRule, AnomalyRule, ThresholdRule
from domain.alerts.silences import Silence
from domain.alerts.state import Alert
from domain.compliance.evaluation import Evaluation
from domain.incidents.events import IncidentEvent, to_dict
from domain.incidents.incident import Incident, IncidentStatus
from domain.notifications.delivery import Delivery, DeliveryStatus
from ports.identity_store import (
    ApiKeyRepository,
    AuditRepository,
    LoginThrottleRepository,
    OneTimeTokenRepository,
    SessionRepository,
    TeamRepository,
    TenantRepository,
    UserRepository,
)
from ports.routing import RoutingRepository
from ports.oncall_store import OnCallRepository
from ports.preferences import PreferencesRepository
from ports.dashboards import DashboardRepository

T = TypeVar("T")
AlertRule = ThresholdRule | AbsenceRule | AnomalyRule


class RuleRepository(Protocol):
    """Alert rules, versioned (docs/adr/0017-configuration-resources.md)."""

    def add(self, rule: AlertRule) -> None:
        """Insert; ``Conflict`` if (tenant, id) exists."""
        ...
    def get(self, tenant: str, rule_id: str) -> AlertRule | None: ...
    def list(self, tenant: str | None = None) -> list[AlertRule]: ...
    def replace(self, rule: AlertRule, expected_version: int) -> None:
        """Store ``rule`` (whose version is ``expected_version + 1``) if the stored one is
        still at ``expected_version``, as one compare-and-set; ``Conflict`` naming the
        ``current_version`` if it moved on, ``NotFound`` if it is gone."""
        ...
    def remove(self, tenant: str, rule_id: str, expected_version: int | None = None) -> bool:
        """Delete; False if absent. With ``expected_version``, ``Conflict`` (naming the
        ``current_version``) unless the stored rule is at it."""
        ...


class RuleGroupRepository(Protocol):
    """PromQL rule groups, one per (tenant, name)."""

    def save(self, group: RuleGroup) -> None:
        """Insert, or replace the group of the same tenant and name."""
        ...
    def get(self, tenant: str, name: str) -> RuleGroup | None: ...
    def list(self, tenant: str | None = None) -> list[RuleGroup]:
        """By tenant, then name; every tenant's when ``tenant`` is None."""
        ...
    def remove(self, tenant: str, name: str) -> bool: ...


class MaintenanceWindowRepository(Protocol):
    """Maintenance windows, versioned (docs/adr/0017-configuration-resources.md)."""

    def add(self, window: MaintenanceWindow) -> None:
        """Insert; ``Conflict`` if (tenant, id) exists."""
        ...
    def get(self, tenant: str, window_id: str) -> MaintenanceWindow | None: ...
    def list(self, tenant: str) -> list[MaintenanceWindow]:
        """Ordered by id."""
        ...
    def replace(self, window: MaintenanceWindow, expected_version: int) -> None:
        """Compare-and-set as ``RuleRepository.replace``: ``Conflict`` naming the
        ``current_version``, ``NotFound`` if it is gone."""
        ...
    def remove(self, tenant: str, window_id: str, expected_version: int | None = None) -> bool: ...


class AlertRepository(Protocol):
    def save(self, alert: Alert) -> None: ...
    def get(self, tenant: str, fingerprint: str) -> Alert | None: ...
    def list(self, tenant: str, states: Sequence[str] = ()) -> list[Alert]: ...


class IncidentRepository(Protocol):
    """``add`` and ``save`` also take the incident's pending domain events
    (``Incident.pull_events``) into the outbox of the same unit of work (topic
    ``INCIDENT_EVENTS``): a change is stored with its events, or neither is."""

    def add(self, incident: Incident) -> None: ...
    def get(self, tenant: str, incident_id: str) -> Incident | None: ...
    def save(self, incident: Incident) -> None:
        """Persist changes; raises ``Conflict`` if the stored version moved on meanwhile."""
        ...
    def find_open_by_dedup_key(self, tenant: str, dedup_key: str) -> Incident | None: ...
    def list(self, tenant: str, statuses: Sequence[IncidentStatus] = (), limit: int = 100) -> list[Incident]: ...


class SilenceRepository(Protocol):
    def add(self, silence: Silence) -> None: ...
    def save(self, silence: Silence) -> None: ...
    def get(self, tenant: str, silence_id: str) -> Silence | None: ...
    def list(self, tenant: str) -> list[Silence]: ...


class AlertHistoryRepository(Protocol):
    """Append-only: the decisions of the alert pipeline (the alert history)."""

    def add(self, decisions: Sequence[AlertDecision]) -> None: ...
    def for_alert(self, tenant: str, fingerprint: str, limit: int = 200) -> list[AlertDecision]:
        """Oldest first; the newest ``limit`` of them."""
        ...


@dataclass(frozen=True, slots=True)
class DeliveryQuery:
    """Which deliveries to list (every criterion given must hold): by status, to a
    receiver or a person (``to`` matches either), for an alert group or an incident,
    created in ``[since_ms, until_ms)``; at most ``limit``."""

    statuses: Sequence[DeliveryStatus] = ()
    to: str | None = None
    group_key: str | None = None
    incident_id: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    limit: int = 100

    def matches(self, d: Delivery) -> bool:
        """The reference: what ``list`` keeps (adapters filter in their store)."""
        wanted = {DeliveryStatus(s) for s in self.statuses}
        return ((not wanted or d.status in wanted) and (self.to is None or self.to in (d.receiver, d.recipient))
                and (self.group_key is None or d.group_key == self.group_key)
                and (self.incident_id is None or d.incident_id == self.incident_id)
                and (self.since_ms is None or d.created_at_ms >= self.since_ms)
                and (self.until_ms is None or d.created_at_ms < self.until_ms))


class DeliveryRepository(Protocol):
    """The delivery audit. ``key`` (the notification's idempotency key) is unique per tenant."""

    def add_if_absent(self, delivery: Delivery) -> bool:
        """Insert unless a delivery with this key exists (then change nothing): True if inserted."""
        ...
    def save(self, delivery: Delivery) -> None:
        """Insert or replace."""
        ...
    def get(self, tenant: str, key: str) -> Delivery | None: ...
    def list(self, tenant: str, query: DeliveryQuery) -> list[Delivery]:
        """Those ``query`` matches, newest first (by creation time, then key descending)."""
        ...


INCIDENT_EVENTS = "incident.events"
"""Outbox topic of the incident aggregate's domain events (payload: ``events.to_dict``)."""


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """Something to do or to tell after a unit of work commits, stored in it (the
    transactional outbox). ``topic`` says who handles it, ``key`` orders it: the
    messages of one key are handled one after the other, in the order they were added.
    ``dedup`` is unique per topic: adding a message whose ``dedup`` is taken changes
    nothing. ``payload`` is JSON. ``id`` (increasing), ``attempts``, ``not_before_ms``
    and ``last_error`` are the store's."""

    topic: str
    tenant: str
    key: str
    dedup: str
    payload: Mapping[str, object]
    created_at_ms: int
    id: int = 0
    attempts: int = 0
    not_before_ms: int = 0
    last_error: str = ""


def incident_event_messages(events: Sequence[IncidentEvent]) -> list[OutboxMessage]:
    """The outbox messages of incident domain events: one key per incident (handled in
    order), one message per version (storing the same change again adds nothing)."""
    return [OutboxMessage(INCIDENT_EVENTS, e.tenant, e.incident_id, f"{e.incident_id}@{e.version}", to_dict(e), e.at_ms)
            for e in events]


class OutboxRepository(Protocol):
    def add(self, messages: Sequence[OutboxMessage]) -> int:
        """Insert the messages whose ``dedup`` is new to their topic; how many were."""
        ...
    def claim(self, topic: str, owner: str, now_ms: int, lease_ms: int, limit: int) -> list[OutboxMessage]:
        """Up to ``limit`` messages of ``topic`` for ``owner`` to handle, oldest first,
        claimed until ``now_ms + lease_ms`` (a claim that lapses is anyone's again). Only
        a key's oldest messages come, in order, and only when its oldest is due
        (``not_before_ms``) and not claimed by another owner: a key never overtakes itself."""
        ...
    def done(self, ids: Sequence[int]) -> None:
        """Handled: remove them."""
        ...
    def retry(self, message_id: int, error: str, not_before_ms: int) -> None:
        """Failed: count the attempt, keep the error, release the claim, wait until ``not_before_ms``."""
        ...
    def release(self, ids: Sequence[int]) -> None:
        """Give the claims up without counting an attempt (handled later, in order)."""
        ...
    def has(self, topic: str, dedup: str) -> bool:
        """Whether a message with this ``dedup`` waits in ``topic``."""
        ...
    def pending(self, topic: str, limit: int = 100) -> list[OutboxMessage]:
        """Messages of ``topic`` not handled yet, oldest first (operators, tests)."""
        ...


@dataclass(frozen=True, slots=True)
class FactRecord:
    """A fact about a tenant's deployment as last reported: its value (JSON), who
    reported it (``source``) and when. Auditors ask both, so both are kept."""

    key: str  # dotted, e.g. "ingest.tls.enabled"
    value: object  # JSON: null, bool, number, string, list (tuple), object (dict)
    source: str
    updated_at_ms: int


class ComplianceRepository(Protocol):
    """Control evaluations (the audit trail: every run is kept) and the facts
    integrators push.

    At most one evaluation per (tenant, control, ``evaluated_at_ms``): saving another
    for the same instant replaces it, so a retried evaluation run (a Temporal activity
    retried with the same ``at_ms``) leaves one record, not two.
    """

    def save_evaluations(self, tenant: str, evaluations: Sequence[Evaluation]) -> None:
        """Store ``evaluations`` (all of ``tenant``, else ``ValidationError``)."""
        ...
    def latest(self, tenant: str) -> list[Evaluation]:
        """The latest evaluation (greatest ``evaluated_at_ms``) of each control that
        has one, ordered by control id."""
        ...
    def history(self, tenant: str, control_id: str, limit: int = 100) -> list[Evaluation]:
        """The control's evaluations, newest first, at most ``limit``."""
        ...
    def set_facts(self, tenant: str, facts: Mapping[str, object], at_ms: int, source: str) -> None:
        """Merge: each key given is replaced (value, source, time); the others stay."""
        ...
    def facts(self, tenant: str) -> dict[str, FactRecord]:
        """Every stored fact of ``tenant`` by key."""
        ...


class UnitOfWork(Protocol):
    rules: RuleRepository
    rule_groups: RuleGroupRepository
    alerts: AlertRepository
    incidents: IncidentRepository
    silences: SilenceRepository
    tenants: TenantRepository
    api_keys: ApiKeyRepository
    history: AlertHistoryRepository
    deliveries: DeliveryRepository
    compliance: ComplianceRepository
    outbox: OutboxRepository
    # identity (ports/identity_store.py)
    users: UserRepository
    teams: TeamRepository
    sessions: SessionRepository
    one_time_tokens: OneTimeTokenRepository
    login_throttle: LoginThrottleRepository
    audit: AuditRepository
    routing: RoutingRepository  # notification routing (ports/routing.py)
    # escalation policies and on-call schedules (ports/oncall_store.py)
    oncall: OnCallRepository
    maintenance_windows: MaintenanceWindowRepository
    preferences: PreferencesRepository  # each user's dashboard preferences (ports/preferences.py)
    dashboards: DashboardRepository  # a tenant's saved dashboards (ports/dashboards.py)


class UnitOfWorkRunner(Protocol):
    async def run(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run ``work`` in one transaction: all of its changes commit, or none."""
        ...
