"""In-memory repositories and unit of work.

They behave like a database where it matters to the services: entities are copied in
and out (changing an object you read does nothing until you save it), ``save`` checks
the incident version (optimistic concurrency), and a unit of work that raises leaves
no change behind.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from adapters.memory.identity import (
    MemoryApiKeyRepository,
    MemoryAuditRepository,
    MemoryLoginThrottleRepository,
    MemoryOneTimeTokenRepository,
    MemorySessionRepository,
    MemoryTeamRepository,
    MemoryTenantRepository,
    MemoryUserRepository,
)
from adapters.memory.maintenance import MemoryMaintenanceWindowRepository
from adapters.memory.oncall_store import MemoryOnCallRepository
from adapters.memory.preferences import MemoryPreferencesRepository
from adapters.memory.dashboards import MemoryDashboardRepository
from adapters.memory.routing import MemoryRoutingRepository
from domain.errors import Conflict, NotFound, ValidationError
from domain.incidents.incident import IncidentStatus
from ports.repositories import FactRecord, OutboxMessage, incident_event_messages

T = TypeVar("T")
_OPEN = (IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED, IncidentStatus.MITIGATED)


class _Table:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], Any] = {}

    def put(self, key: tuple[str, str], value: Any) -> None:
        self.rows[key] = copy.deepcopy(value)

    def get(self, key: tuple[str, str]) -> Any:
        row = self.rows.get(key)
        return copy.deepcopy(row) if row is not None else None

    def where(self, pred: Callable[[Any], bool]) -> list[Any]:
        return [copy.deepcopy(v) for v in self.rows.values() if pred(v)]


class MemoryRuleRepository:
    def __init__(self, table: _Table) -> None:
        self._t = table

    def add(self, rule) -> None:
        if (rule.tenant, rule.id) in self._t.rows:
            raise Conflict(f"rule {rule.id!r} already exists")
        self._t.put((rule.tenant, rule.id), rule)

    def get(self, tenant: str, rule_id: str):
        return self._t.get((tenant, rule_id))

    def list(self, tenant: str | None = None) -> list:
        return sorted(self._t.where(lambda r: tenant is None or r.tenant == tenant), key=lambda r: (r.tenant, r.name, r.id))

    def replace(self, rule, expected_version: int) -> None:
        stored = self._t.get((rule.tenant, rule.id))
        if stored is None:
            raise NotFound(f"no rule {rule.id!r}")
        if stored.version != expected_version:
            raise Conflict(f"rule {rule.id!r} is at version {stored.version}, not {expected_version}",
                           current_version=stored.version)
        self._t.put((rule.tenant, rule.id), rule)

    def remove(self, tenant: str, rule_id: str, expected_version: int | None = None) -> bool:
        stored = self._t.get((tenant, rule_id))
        if stored is None:
            return False
        if expected_version is not None and stored.version != expected_version:
            raise Conflict(f"rule {rule_id!r} is at version {stored.version}, not {expected_version}",
                           current_version=stored.version)
        return self._t.rows.pop((tenant, rule_id), None) is not None


class MemoryRuleGroupRepository:
    def __init__(self, table: _Table) -> None:
        self._t = table

    def save(self, group) -> None:
        self._t.put((group.tenant, group.name), group)

    def get(self, tenant: str, name: str):
        return self._t.get((tenant, name))

    def list(self, tenant: str | None = None) -> list:
        return sorted(self._t.where(lambda g: tenant is None or g.tenant == tenant), key=lambda g: (g.tenant, g.name))

    def remove(self, tenant: str, name: str) -> bool:
        return self._t.rows.pop((tenant, name), None) is not None


class MemoryAlertRepository:
    def __init__(self, table: _Table) -> None:
        self._t = table

    def save(self, alert) -> None:
        self._t.put((alert.tenant, alert.fingerprint), alert)

    def get(self, tenant: str, fingerprint: str):
        return self._t.get((tenant, fingerprint))

    def list(self, tenant: str, states: Sequence[str] = ()) -> list:
        wanted = {str(getattr(s, "value", s)) for s in states}
        return sorted(
            self._t.where(lambda a: a.tenant == tenant and (not wanted or a.state.value in wanted)),
            key=lambda a: (a.labels.get("alertname"), a.fingerprint),
        )


_READ_VERSION = "_stored_version"


def _remember(incident, version: int):
    """Tag a copy handed out with the version it had in the store: ``save`` accepts it
    only if the store still holds that version (optimistic concurrency)."""
    object.__setattr__(incident, _READ_VERSION, version)
    return incident


class MemoryIncidentRepository:
    def __init__(self, table: _Table, outbox: "MemoryOutboxRepository") -> None:
        self._t = table
        self._outbox = outbox

    def _out(self, incident):
        return None if incident is None else _remember(incident, incident.version)

    def _publish(self, incident) -> None:
        self._outbox.add(incident_event_messages(incident.pull_events()))

    def add(self, incident) -> None:
        if (incident.tenant, incident.id) in self._t.rows:
            raise Conflict(f"incident {incident.id!r} already exists")
        incident.version = max(incident.version, 1)
        self._publish(incident)
        self._t.put((incident.tenant, incident.id), incident)
        _remember(incident, incident.version)

    def get(self, tenant: str, incident_id: str):
        return self._out(self._t.get((tenant, incident_id)))

    def save(self, incident) -> None:
        stored = self._t.rows.get((incident.tenant, incident.id))
        if stored is None:
            raise Conflict(f"incident {incident.id!r} does not exist; add it first")
        read = getattr(incident, _READ_VERSION, None)
        stale = stored.version != read if read is not None else stored.version >= incident.version
        if stale or incident.version <= stored.version:
            raise Conflict(
                f"incident {incident.id!r} changed meanwhile (stored version {stored.version}, "
                f"read at {read}); read it again and retry"
            )
        self._publish(incident)
        self._t.put((incident.tenant, incident.id), incident)
        _remember(incident, incident.version)

    def find_open_by_dedup_key(self, tenant: str, dedup_key: str):
        found = self._t.where(lambda i: i.tenant == tenant and i.dedup_key == dedup_key and i.status in _OPEN)
        return self._out(found[0]) if found else None

    def list(self, tenant: str, statuses: Sequence[IncidentStatus] = (), limit: int = 100) -> list:
        rows = self._t.where(lambda i: i.tenant == tenant and (not statuses or i.status in statuses))
        rows.sort(key=lambda i: i.opened_at_ms, reverse=True)
        return [self._out(r) for r in rows[:limit]]


class MemorySilenceRepository:
    def __init__(self, table: _Table) -> None:
        self._t = table

    def add(self, silence) -> None:
        self._t.put((silence.tenant, silence.id), silence)

    save = add

    def get(self, tenant: str, silence_id: str):
        return self._t.get((tenant, silence_id))

    def list(self, tenant: str) -> list:
        return self._t.where(lambda s: s.tenant == tenant)


class MemoryAlertHistoryRepository:
    """Rows are (tenant, fingerprint) -> tuple of decisions, replaced (never mutated in
    place) so the runner's rollback snapshot stays valid. Bounded per alert."""

    def __init__(self, table: _Table, keep_per_alert: int = 1000) -> None:
        self._t = table
        self._keep = keep_per_alert

    def add(self, decisions: Sequence[Any]) -> None:
        for d in decisions:
            key = (d.tenant, d.fingerprint)
            rows = self._t.rows.get(key, ()) + (d,)
            self._t.rows[key] = rows[-self._keep :]

    def for_alert(self, tenant: str, fingerprint: str, limit: int = 200) -> list:
        rows = self._t.rows.get((tenant, fingerprint), ())
        return list(rows[-limit:]) if limit > 0 else []


class MemoryDeliveryRepository:
    def __init__(self, table: _Table) -> None:
        self._t = table

    def add_if_absent(self, delivery) -> bool:
        if (delivery.tenant, delivery.key) in self._t.rows:
            return False
        self._t.put((delivery.tenant, delivery.key), delivery)
        return True

    def save(self, delivery) -> None:
        self._t.put((delivery.tenant, delivery.key), delivery)

    def get(self, tenant: str, key: str):
        return self._t.get((tenant, key))

    def list(self, tenant: str, query) -> list:
        rows = self._t.where(lambda d: d.tenant == tenant and query.matches(d))
        rows.sort(key=lambda d: (d.created_at_ms, d.key), reverse=True)
        return rows[: max(query.limit, 0)]


@dataclasses.dataclass(frozen=True, slots=True)
class _Claimed:
    message: OutboxMessage
    owner: str = ""
    until_ms: int = 0


class MemoryOutboxRepository:
    """Rows are (topic, dedup) -> ``_Claimed``, replaced (never mutated in place) so the
    runner's rollback snapshot stays valid. Ids come from a counter that a rollback
    does not rewind (a sequence, as in a database)."""

    _ids = itertools.count(1)

    def __init__(self, table: _Table) -> None:
        self._t = table

    def add(self, messages: Sequence[OutboxMessage]) -> int:
        added = 0
        for m in messages:
            if (m.topic, m.dedup) not in self._t.rows:
                self._t.rows[(m.topic, m.dedup)] = _Claimed(dataclasses.replace(m, id=next(self._ids)))
                added += 1
        return added

    def _of(self, topic: str) -> list[_Claimed]:
        return sorted((r for (t, _), r in self._t.rows.items() if t == topic), key=lambda r: r.message.id)

    def claim(self, topic: str, owner: str, now_ms: int, lease_ms: int, limit: int) -> list[OutboxMessage]:
        out: list[OutboxMessage] = []
        blocked: set[str] = set()
        for row in self._of(topic):
            m = row.message
            if m.key in blocked:
                continue
            taken_by_other = row.owner and row.owner != owner and row.until_ms > now_ms
            if taken_by_other or m.not_before_ms > now_ms or len(out) >= limit:
                blocked.add(m.key)  # later messages of this key wait for this one
                continue
            self._t.rows[(topic, m.dedup)] = _Claimed(m, owner, now_ms + lease_ms)
            out.append(m)
        return out

    def _by_id(self, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        wanted = set(ids)
        return {r.message.id: k for k, r in self._t.rows.items() if r.message.id in wanted}

    def done(self, ids: Sequence[int]) -> None:
        for key in self._by_id(ids).values():
            del self._t.rows[key]

    def retry(self, message_id: int, error: str, not_before_ms: int) -> None:
        for key in self._by_id([message_id]).values():
            m = self._t.rows[key].message
            self._t.rows[key] = _Claimed(dataclasses.replace(m, attempts=m.attempts + 1, last_error=error[:2000],
                                                             not_before_ms=not_before_ms))

    def release(self, ids: Sequence[int]) -> None:
        for key in self._by_id(ids).values():
            self._t.rows[key] = _Claimed(self._t.rows[key].message)

    def has(self, topic: str, dedup: str) -> bool:
        return (topic, dedup) in self._t.rows

    def pending(self, topic: str, limit: int = 100) -> list[OutboxMessage]:
        return [r.message for r in self._of(topic)[:limit]]


class MemoryComplianceRepository:
    """Evaluations: (tenant, control id) -> tuple ordered by ``evaluated_at_ms``, one per
    instant, replaced (never mutated in place) so the runner's rollback snapshot stays
    valid; bounded per control. Facts: (tenant, key) -> ``FactRecord``."""

    def __init__(self, evaluations: _Table, facts: _Table, keep_per_control: int = 1000) -> None:
        self._ev = evaluations
        self._facts = facts
        self._keep = keep_per_control

    def save_evaluations(self, tenant: str, evaluations: Sequence[Any]) -> None:
        for i, ev in enumerate(evaluations):
            if ev.tenant != tenant:
                raise ValidationError(f"evaluation of tenant {ev.tenant!r} saved for {tenant!r}", field=f"evaluations[{i}]")
        for ev in evaluations:
            key = (tenant, ev.control_id)
            rows = [r for r in self._ev.rows.get(key, ()) if r.evaluated_at_ms != ev.evaluated_at_ms]
            rows.append(copy.deepcopy(ev))
            rows.sort(key=lambda r: r.evaluated_at_ms)
            self._ev.rows[key] = tuple(rows[-self._keep :])

    def latest(self, tenant: str) -> list:
        return [copy.deepcopy(rows[-1]) for (t, _), rows in sorted(self._ev.rows.items()) if t == tenant and rows]

    def history(self, tenant: str, control_id: str, limit: int = 100) -> list:
        rows = self._ev.rows.get((tenant, control_id), ())
        return [copy.deepcopy(r) for r in reversed(rows[-limit:])] if limit > 0 else []

    def set_facts(self, tenant: str, facts: Mapping[str, object], at_ms: int, source: str) -> None:
        for key, value in facts.items():
            self._facts.put((tenant, key), FactRecord(key, value, source, at_ms))

    def facts(self, tenant: str) -> dict:
        return {k: copy.deepcopy(r) for (t, k), r in sorted(self._facts.rows.items()) if t == tenant}


class MemoryUnitOfWork:
    def __init__(self, tables: dict[str, _Table]) -> None:
        self.outbox = MemoryOutboxRepository(tables["outbox"])
        self.rules = MemoryRuleRepository(tables["rules"])
        self.rule_groups = MemoryRuleGroupRepository(tables["rule_groups"])
        self.alerts = MemoryAlertRepository(tables["alerts"])
        self.incidents = MemoryIncidentRepository(tables["incidents"], self.outbox)
        self.silences = MemorySilenceRepository(tables["silences"])
        self.tenants = MemoryTenantRepository(tables["tenants"])
        self.api_keys = MemoryApiKeyRepository(tables["api_keys"])
        self.history = MemoryAlertHistoryRepository(tables["history"])
        self.deliveries = MemoryDeliveryRepository(tables["deliveries"])
        self.compliance = MemoryComplianceRepository(tables["compliance_evaluations"], tables["compliance_facts"])
        self.users = MemoryUserRepository(tables["users"])
        self.teams = MemoryTeamRepository(tables["teams"])
        self.sessions = MemorySessionRepository(tables["sessions"])
        self.one_time_tokens = MemoryOneTimeTokenRepository(tables["one_time_tokens"])
        self.login_throttle = MemoryLoginThrottleRepository(tables["login_throttle"])
        self.audit = MemoryAuditRepository(tables["audit"])
        self.routing = MemoryRoutingRepository(tables["routing"], tables["routing_revisions"])
        self.oncall = MemoryOnCallRepository(tables["oncall"], tables["oncall_seeds"], tables["oncall_feeds"])
        self.maintenance_windows = MemoryMaintenanceWindowRepository(tables["maintenance_windows"])
        self.preferences = MemoryPreferencesRepository(tables["preferences"])
        self.dashboards = MemoryDashboardRepository(tables["dashboards"])


class MemoryUnitOfWorkRunner:
    """Runs one unit of work at a time; a failing one is rolled back by restoring the
    tables as they were before it started."""

    _NAMES = ("rules", "rule_groups", "alerts", "incidents", "silences", "tenants", "api_keys", "history", "deliveries",
              "compliance_evaluations", "compliance_facts", "users", "teams", "sessions", "one_time_tokens",
              "login_throttle", "audit", "outbox", "maintenance_windows")
    _NAMES += ("routing", "routing_revisions")  # notification routing (ports/routing.py)
    _NAMES += ("oncall", "oncall_seeds", "oncall_feeds")
    _NAMES += ("preferences", "dashboards")  # ports/preferences.py, ports/dashboards.py

    def __init__(self) -> None:
        self._tables = {n: _Table() for n in self._NAMES}
        self._lock = asyncio.Lock()

    async def run(self, work: Callable[[MemoryUnitOfWork], T]) -> T:
        async with self._lock:
            return self.run_sync(work)

    def run_sync(self, work: Callable[[MemoryUnitOfWork], T]) -> T:
        before = {n: dict(t.rows) for n, t in self._tables.items()}
        try:
            return work(MemoryUnitOfWork(self._tables))
        except BaseException:
            for n, rows in before.items():
                self._tables[n].rows = rows
            raise
