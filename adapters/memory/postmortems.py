"""Postmortem documents in process memory (the embedded default and tests)."""

from __future__ import annotations

from ports.postmortems import Postmortem


class MemoryPostmortemStore:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], Postmortem] = {}

    async def save(self, postmortem: Postmortem) -> None:
        key = (postmortem.tenant, postmortem.id)
        stored = self.rows.get(key)
        if stored is None or stored.version <= postmortem.version:
            self.rows[key] = postmortem

    async def get(self, tenant: str, postmortem_id: str) -> Postmortem | None:
        return self.rows.get((tenant, postmortem_id))

    async def for_incident(self, tenant: str, incident_id: str) -> list[Postmortem]:
        return [p for (t, _), p in sorted(self.rows.items()) if t == tenant and p.incident_id == incident_id]
