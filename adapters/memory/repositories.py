"""In-memory repositories and unit of work.

They behave like a database where it matters to the services: entities are copied in
and out (changing an object you read does nothing until you save it), ``save`` checks
the incident version (optimistic concurrency), and a unit of work that raises leaves
no change behind.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from domain.errors import Conflict
from domain.incidents.incident import IncidentStatus

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

    def remove(self, tenant: str, rule_id: str) -> bool:
        return self._t.rows.pop((tenant, rule_id), None) is not None


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
    def __init__(self, table: _Table) -> None:
        self._t = table

    def _out(self, incident):
        return None if incident is None else _remember(incident, incident.version)

    def add(self, incident) -> None:
        if (incident.tenant, incident.id) in self._t.rows:
            raise Conflict(f"incident {incident.id!r} already exists")
        incident.version = max(incident.version, 1)
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


class MemoryTenantRepository:
    def __init__(self, table: _Table) -> None:
        self._t = table

    def add(self, tenant) -> None:
        if ("", tenant.id) in self._t.rows:
            raise Conflict(f"tenant {tenant.id!r} already exists")
        self._t.put(("", tenant.id), tenant)

    def get(self, tenant_id: str):
        return self._t.get(("", tenant_id))

    def list(self) -> list:
        return self._t.where(lambda t: True)


class MemoryApiKeyRepository:
    def __init__(self, table: _Table) -> None:
        self._t = table

    def add(self, key) -> None:
        if ("", key.prefix) in self._t.rows:
            raise Conflict("an API key with this prefix already exists")
        self._t.put(("", key.prefix), key)

    def save(self, key) -> None:
        self._t.put(("", key.prefix), key)

    def by_prefix(self, prefix: str):
        return self._t.get(("", prefix))

    def list(self, tenant: str) -> list:
        return self._t.where(lambda k: k.tenant == tenant)


class MemoryUnitOfWork:
    def __init__(self, tables: dict[str, _Table]) -> None:
        self.rules = MemoryRuleRepository(tables["rules"])
        self.alerts = MemoryAlertRepository(tables["alerts"])
        self.incidents = MemoryIncidentRepository(tables["incidents"])
        self.silences = MemorySilenceRepository(tables["silences"])
        self.tenants = MemoryTenantRepository(tables["tenants"])
        self.api_keys = MemoryApiKeyRepository(tables["api_keys"])


class MemoryUnitOfWorkRunner:
    """Runs one unit of work at a time; a failing one is rolled back by restoring the
    tables as they were before it started."""

    _NAMES = ("rules", "alerts", "incidents", "silences", "tenants", "api_keys")

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
