"""The runbook catalogue in process memory (the memory repository choice, and tests)."""

from __future__ import annotations

from domain.errors import Conflict, NotFound
from ports.runbooks import RunbookRecord


class MemoryRunbookCatalogue:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], RunbookRecord] = {}

    async def add(self, record: RunbookRecord) -> None:
        key = (record.tenant, record.id)
        if key in self.rows:
            raise Conflict(f"runbook {record.id!r} exists already")
        self.rows[key] = record

    async def get(self, tenant: str, runbook_id: str) -> RunbookRecord | None:
        return self.rows.get((tenant, runbook_id))

    async def list(self, tenant: str) -> list[RunbookRecord]:
        return [r for (t, _), r in sorted(self.rows.items()) if t == tenant]

    async def replace(self, record: RunbookRecord, expected_version: int) -> None:
        stored = self.rows.get((record.tenant, record.id))
        if stored is None:
            raise NotFound(f"no runbook {record.id!r}")
        if stored.version != expected_version:
            raise Conflict(f"runbook {record.id!r} is at version {stored.version}, not {expected_version}")
        self.rows[(record.tenant, record.id)] = record

    async def delete(self, tenant: str, runbook_id: str, expected_version: int | None = None) -> bool:
        stored = self.rows.get((tenant, runbook_id))
        if stored is None:
            return False
        if expected_version is not None and stored.version != expected_version:
            raise Conflict(f"runbook {runbook_id!r} is at version {stored.version}, not {expected_version}")
        del self.rows[(tenant, runbook_id)]
        return True
