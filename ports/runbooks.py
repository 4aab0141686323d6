"""The runbook catalogue: admin-managed remediation runbooks, referenced by id.

A record holds the runbook document (``domain.remediation.runbook``: id, name, steps)
and a ``version`` for optimistic concurrency: a write names the version it read, and a
stale one is refused with ``Conflict`` naming the ``current_version``. Every version
written is kept (``versions``, ``version``) until the runbook is deleted, so a run can
say which one it executed and an admin can read what changed. A write may carry the
audit entry of the change, stored in the same transaction where the store has one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from domain.identity.audit import AuditEntry


@dataclass(frozen=True, slots=True)
class RunbookRecord:
    tenant: str
    id: str
    name: str
    definition: Mapping[str, Any]  # the runbook document, as written (JSON)
    version: int = 1
    updated_by: str = ""
    updated_at_ms: int = 0


class RunbookCatalogue(Protocol):
    async def add(self, record: RunbookRecord, audit: AuditEntry | None = None) -> None:
        """Insert (and keep it as version 1); ``Conflict`` if (tenant, id) exists."""
        ...

    async def get(self, tenant: str, runbook_id: str) -> RunbookRecord | None: ...

    async def list(self, tenant: str) -> list[RunbookRecord]:
        """Every runbook of ``tenant``, ordered by id."""
        ...

    async def replace(self, record: RunbookRecord, expected_version: int, audit: AuditEntry | None = None) -> None:
        """Store ``record`` (its version is ``expected_version + 1``, kept as well) if the
        stored one is at ``expected_version``; ``Conflict`` if it moved on, ``NotFound`` if
        it is gone."""
        ...

    async def delete(self, tenant: str, runbook_id: str, expected_version: int | None = None,
                     audit: AuditEntry | None = None) -> bool:
        """Remove, with its versions; False if absent. With ``expected_version``,
        ``Conflict`` if it moved on."""
        ...

    async def versions(self, tenant: str, runbook_id: str) -> list[RunbookRecord]:
        """Every version kept, oldest first (empty if there is no such runbook)."""
        ...

    async def version(self, tenant: str, runbook_id: str, version: int) -> RunbookRecord | None: ...
