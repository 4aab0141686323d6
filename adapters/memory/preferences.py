"""In-memory user preferences (ports.preferences.PreferencesRepository)."""

from __future__ import annotations

from typing import Any

from domain.dashboards.preferences import UserPreferences
from domain.errors import Conflict


class MemoryPreferencesRepository:
    def __init__(self, table: Any) -> None:  # adapters.memory.repositories._Table
        self._t = table

    def get(self, tenant: str, user_id: str) -> UserPreferences | None:
        return self._t.get((tenant, user_id))

    def save(self, prefs: UserPreferences, expected_version: int) -> None:
        stored = self._t.get((prefs.tenant, prefs.user_id))
        current = 0 if stored is None else stored.version
        if current != expected_version:
            raise Conflict(f"the preferences are at version {current}, not {expected_version}", current_version=current)
        self._t.put((prefs.tenant, prefs.user_id), prefs)
