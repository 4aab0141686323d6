"""The on-call directory the escalation reads (ports.oncall.OnCallDirectory), over the
stored policies and schedules (``OnCallConfigService``).

Each tenant's configuration is cached per process; the cache is dropped when the
``oncall`` announcement for the tenant arrives (``reload``, registered on the
``ConfigWatcher``) and re-read after ``max_age_ms`` anyway, so a lost announcement costs
seconds, not a restart. Contacts (how to reach a person) are still the seed file's
(``contacts``), as before; a team target's members are the identity store's.

Which policy an incident gets: the first policy, by id, whose ``severities`` name the
incident's severity; else the first catch-all policy (no severities); else none (the
incident says nobody is paged).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.incidents.escalation import EscalationPolicy
from domain.incidents.oncall import Schedule
from ports.clock import Clock
from ports.oncall import Contact, OnCallDirectory
from services.oncall_config import OnCallConfigService, OnCallSnapshot

DEFAULT_MAX_AGE_MS = 30_000


@dataclass(slots=True)
class _Cached:
    snapshot: OnCallSnapshot
    read_at_ms: int


class StoredOnCallDirectory:
    def __init__(self, config: OnCallConfigService, clock: Clock, contacts: OnCallDirectory | None = None,
                 max_age_ms: int = DEFAULT_MAX_AGE_MS) -> None:
        self._config = config
        self._clock = clock
        self._contacts = contacts
        self._max_age_ms = max_age_ms
        self._cache: dict[str, _Cached] = {}

    def reload(self, tenant: str) -> None:
        """Forget the tenant's cached configuration (the ``oncall`` announcement)."""
        self._cache.pop(tenant, None)

    async def snapshot(self, tenant: str) -> OnCallSnapshot:
        now = self._clock.now_ms()
        cached = self._cache.get(tenant)
        if cached is None or now - cached.read_at_ms >= self._max_age_ms or now < cached.read_at_ms:
            cached = _Cached(await self._config.snapshot(tenant), now)
            self._cache[tenant] = cached
        return cached.snapshot

    async def policy_for(self, tenant: str, severity: str) -> EscalationPolicy | None:
        policies = (await self.snapshot(tenant)).policies
        for doc in policies:
            if doc.severities and doc.applies_to(severity):
                return doc.policy
        return next((doc.policy for doc in policies if not doc.severities), None)

    async def schedules(self, tenant: str, ids: Sequence[str]) -> list[Schedule]:
        stored = (await self.snapshot(tenant)).schedules
        return [stored[i].schedule for i in ids if i in stored]

    async def contact(self, tenant: str, user: str) -> Contact | None:
        return None if self._contacts is None else await self._contacts.contact(tenant, user)

    async def team_members(self, tenant: str, team_id: str) -> list[str] | None:
        """From the identity store, when the page goes out (not cached: teams change
        through their own API)."""
        return await self._config.team_members(tenant, team_id)
