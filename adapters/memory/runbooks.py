"""The runbook catalogue in process memory (the memory repository choice, and tests).

Audit entries go to the audit log of the memory unit of work it is given (the container
gives it the process's), right after the change: memory has no transaction to share."""

from __future__ import annotations

from domain.errors import Conflict, NotFound
from domain.identity.audit import AuditEntry
from ports.runbooks import RunbookRecord


class MemoryRunbookCatalogue:
    def __init__(self, audit_log=None) -> None:  # a MemoryUnitOfWorkRunner, for the audit entries
        self.rows: dict[tuple[str, str], RunbookRecord] = {}
        self.history: dict[tuple[str, str], list[RunbookRecord]] = {}
        self._audit_log = audit_log

    async def _audit(self, entry: AuditEntry | None) -> None:
        if entry is not None and self._audit_log is not None:
            await self._audit_log.run(lambda u: u.audit.add(entry))

    async def add(self, record: RunbookRecord, audit: AuditEntry | None = None) -> None:
        key = (record.tenant, record.id)
        if key in self.rows:
            raise Conflict(f"runbook {record.id!r} exists already")
        self.rows[key] = record
        self.history[key] = [record]
        await self._audit(audit)

    async def get(self, tenant: str, runbook_id: str) -> RunbookRecord | None:
        return self.rows.get((tenant, runbook_id))

    async def list(self, tenant: str) -> list[RunbookRecord]:
        return [r for (t, _), r in sorted(self.rows.items()) if t == tenant]

    def _stale(self, runbook_id: str, stored: int, expected: int) -> Conflict:
        return Conflict(f"runbook {runbook_id!r} is at version {stored}, not {expected}", current_version=stored)

    async def replace(self, record: RunbookRecord, expected_version: int, audit: AuditEntry | None = None) -> None:
        key = (record.tenant, record.id)
        stored = self.rows.get(key)
        if stored is None:
            raise NotFound(f"no runbook {record.id!r}")
        if stored.version != expected_version:
            raise self._stale(record.id, stored.version, expected_version)
        self.rows[key] = record
        self.history.setdefault(key, []).append(record)
        await self._audit(audit)

    async def delete(self, tenant: str, runbook_id: str, expected_version: int | None = None,
                     audit: AuditEntry | None = None) -> bool:
        stored = self.rows.get((tenant, runbook_id))
        if stored is None:
            return False
        if expected_version is not None and stored.version != expected_version:
            raise self._stale(runbook_id, stored.version, expected_version)
        del self.rows[(tenant, runbook_id)]
        self.history.pop((tenant, runbook_id), None)
        await self._audit(audit)
        return True

    async def versions(self, tenant: str, runbook_id: str) -> list[RunbookRecord]:
        return list(self.history.get((tenant, runbook_id), ()))

    async def version(self, tenant: str, runbook_id: str, version: int) -> RunbookRecord | None:
        return next((r for r in self.history.get((tenant, runbook_id), ()) if r.version == version), None)
