"""User preferences over ``oe_dashboards`` (ports.preferences.PreferencesRepository).

A save is one conditional statement: an INSERT (a unique constraint refuses a second
first save) or an ``UPDATE ... WHERE version = ?``; of two writers that read the same
version one wins, the other gets ``Conflict``."""

from __future__ import annotations

from adapters.django_orm.dashboards.models import UserPreferences as Row
from adapters.django_orm.rows import insert
from domain.dashboards.preferences import Tile, UserPreferences
from domain.errors import Conflict


def _fields(p: UserPreferences) -> dict:
    return {"tenant": p.tenant, "user_id": p.user_id,
            "dashboard_layout": None if p.dashboard_layout is None else [t.as_dict() for t in p.dashboard_layout],
            "ui": dict(p.ui), "version": p.version, "updated_at_ms": p.updated_at_ms}


def _from_row(row: Row) -> UserPreferences:
    layout = None if row.dashboard_layout is None else tuple(Tile(**t) for t in row.dashboard_layout)
    return UserPreferences(row.tenant, row.user_id, layout, dict(row.ui), row.version, row.updated_at_ms)


class DjangoPreferencesRepository:
    def __init__(self, using: str) -> None:
        self._db = using

    def _mine(self, tenant: str, user_id: str):
        return Row.objects.using(self._db).filter(tenant=tenant, user_id=user_id)

    def get(self, tenant: str, user_id: str) -> UserPreferences | None:
        row = self._mine(tenant, user_id).first()
        return None if row is None else _from_row(row)

    def save(self, prefs: UserPreferences, expected_version: int) -> None:
        mine = self._mine(prefs.tenant, prefs.user_id)
        if expected_version == 0:
            try:
                insert(Row, self._db, _fields(prefs), "preferences")
                return
            except Conflict:
                pass
        elif mine.filter(version=expected_version).update(**_fields(prefs)):
            return
        current = mine.values_list("version", flat=True).first() or 0
        raise Conflict(f"the preferences are at version {current}, not {expected_version}", current_version=current)
