"""Where each user's preferences are kept (domain/dashboards/preferences.py)."""

from __future__ import annotations

from typing import Protocol

from domain.dashboards.preferences import UserPreferences


class PreferencesRepository(Protocol):
    """One versioned document per (tenant, user id)."""

    def get(self, tenant: str, user_id: str) -> UserPreferences | None:
        """The stored preferences, or None when the user has saved none."""
        ...

    def save(self, prefs: UserPreferences, expected_version: int) -> None:
        """Store ``prefs`` (its ``version`` is ``expected_version + 1``) if the stored
        version is ``expected_version`` (0: none stored yet), in one compare-and-set;
        else ``Conflict`` naming ``current_version`` (0 when none is stored)."""
        ...
