"""Postmortem documents: drafted from the timeline, owned, published."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Postmortem:
    id: str
    tenant: str
    incident_id: str
    title: str
    owner: str
    due_at_ms: int
    body: str
    status: str = "draft"  # draft | published | cancelled
    published_by: str | None = None
    published_at_ms: int | None = None
    version: int = 1


class PostmortemStore(Protocol):
    async def save(self, postmortem: Postmortem) -> None:
        """Insert or replace by (tenant, id); an older ``version`` never replaces a newer one."""
        ...

    async def get(self, tenant: str, postmortem_id: str) -> Postmortem | None: ...

    async def for_incident(self, tenant: str, incident_id: str) -> list[Postmortem]: ...
