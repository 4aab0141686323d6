"""The runbook catalogue: admin-managed remediation runbooks, referenced by id.

A record holds the runbook document (``domain.remediation.runbook``: id, name, steps)
and a ``version`` for optimistic concurrency: a write names the version it read, and a
stale one is refused with ``Conflict`` (the control plane adds the history of versions
later; the number is kept from the first write on).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


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
    async def add(self, record: RunbookRecord) -> None:
        """Insert; ``Conflict`` if (tenant, id) exists."""
        ...

    async def get(self, tenant: str, runbook_id: str) -> RunbookRecord | None: ...

    async def list(self, tenant: str) -> list[RunbookRecord]:
        """Every runbook of ``tenant``, ordered by id."""
        ...

    async def replace(self, record: RunbookRecord, expected_version: int) -> None:
        """Store ``record`` (its version is ``expected_version + 1``) if the stored one is
        at ``expected_version``; ``Conflict`` if it moved on, ``NotFound`` if it is gone."""
        ...

    async def delete(self, tenant: str, runbook_id: str, expected_version: int | None = None) -> bool:
        """Remove; False if absent. With ``expected_version``, ``Conflict`` if it moved on."""
        ...
