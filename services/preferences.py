"""Each user's preferences (domain/dashboards/preferences.py): read, and saved with the
version read (409 when stale). Not audited: they change nothing anyone else sees, and
the dashboard saves its layout as the user arranges it."""

from __future__ import annotations

from typing import Any

from domain.dashboards.preferences import PreferenceLimits, UserPreferences, check_ui, parse_layout
from ports.clock import Clock
from ports.repositories import UnitOfWorkRunner


class PreferenceService:
    def __init__(self, uow: UnitOfWorkRunner, clock: Clock, limits: PreferenceLimits = PreferenceLimits()) -> None:
        self._uow = uow
        self._clock = clock
        self.limits = limits

    async def get(self, tenant: str, user_id: str) -> UserPreferences:
        """The stored preferences, or the empty ones (version 0) when none are stored."""
        found = await self._uow.run(lambda u: u.preferences.get(tenant, user_id))
        return found or UserPreferences.empty(tenant, user_id)

    async def save(self, tenant: str, user_id: str, layout: object, ui: object, expected_version: int) -> UserPreferences:
        """Replace the whole document, if it is still at ``expected_version``."""
        prefs = UserPreferences(tenant, user_id, parse_layout(layout, self.limits), check_ui(ui, self.limits),
                                version=expected_version + 1, updated_at_ms=self._clock.now_ms())
        await self._uow.run(lambda u: u.preferences.save(prefs, expected_version))
        return prefs
