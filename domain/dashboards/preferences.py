"""A user's preferences: the dashboard's tile layout and free-form UI choices.

One document per user (tenant, user id), versioned like the configuration resources
(docs/adr/0017): ``version`` 0 means none is stored yet; every save names the version
it read and raises it by one. The layout's tiles are checked for shape here (ids,
kinds, sizes), not against the dashboard's list of tile kinds, which is the browser's
business: an unknown kind is dropped there, not refused here. Time zone and
notification contacts are not preferences: they belong to the user's profile
(``PATCH /api/v1/auth/me``), which the server uses too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.dashboards.json_limits import check_json
from domain.errors import LimitExceeded, ValidationError

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


@dataclass(frozen=True, slots=True)
class PreferenceLimits:
    max_tiles: int = 64
    max_tile_size: int = 12  # columns or rows a tile may span
    max_ui_keys: int = 64
    max_ui_bytes: int = 16_384


@dataclass(frozen=True, slots=True)
class Tile:
    id: str
    kind: str
    w: int
    h: int

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "w": self.w, "h": self.h}


@dataclass(frozen=True, slots=True)
class UserPreferences:
    tenant: str
    user_id: str
    dashboard_layout: tuple[Tile, ...] | None = None  # None: the dashboard's default layout
    ui: Mapping[str, Any] = field(default_factory=dict)
    version: int = 0
    updated_at_ms: int = 0

    @classmethod
    def empty(cls, tenant: str, user_id: str) -> "UserPreferences":
        return cls(tenant, user_id)


def _int(value: object, field: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValidationError(f"must be a whole number from {lo} to {hi}", field=field)
    return value


def _name(value: object, field: str) -> str:
    if not isinstance(value, str) or not NAME.match(value):
        raise ValidationError("must be 1-64 letters, digits or _ . : - (starting with a letter or digit)", field=field)
    return value


def parse_layout(raw: object, limits: PreferenceLimits = PreferenceLimits(),
                 field: str = "dashboard_layout") -> tuple[Tile, ...] | None:
    """The tiles of a layout document (None stays None: the default layout)."""
    if raw is None:
        return None
    if not isinstance(raw, Sequence) or isinstance(raw, (str, bytes)):
        raise ValidationError("must be a list of tiles ({id, kind, w, h}) or null", field=field)
    if len(raw) > limits.max_tiles:
        raise LimitExceeded(f"{len(raw)} tiles, over the limit of {limits.max_tiles}", field=field,
                            limit="max_tiles", value=limits.max_tiles)
    tiles, seen = [], set()
    for i, item in enumerate(raw):
        at = f"{field}[{i}]"
        if not isinstance(item, Mapping):
            raise ValidationError("must be an object {id, kind, w, h}", field=at)
        unknown = sorted(set(item) - {"id", "kind", "w", "h"})
        if unknown:
            raise ValidationError(f"unknown member {unknown[0]!r}", field=f"{at}.{unknown[0]}")
        tile = Tile(_name(item.get("id"), f"{at}.id"), _name(item.get("kind"), f"{at}.kind"),
                    _int(item.get("w"), f"{at}.w", 1, limits.max_tile_size),
                    _int(item.get("h"), f"{at}.h", 1, limits.max_tile_size))
        if tile.id in seen:
            raise ValidationError(f"tile id {tile.id!r} appears twice", field=f"{at}.id")
        seen.add(tile.id)
        tiles.append(tile)
    return tuple(tiles)


def check_ui(ui: object, limits: PreferenceLimits = PreferenceLimits()) -> dict[str, Any]:
    """Free-form UI choices: an object of named JSON values, bounded in keys and bytes."""
    if not isinstance(ui, Mapping):
        raise ValidationError("must be an object of named preferences", field="ui")
    if len(ui) > limits.max_ui_keys:
        raise LimitExceeded(f"{len(ui)} preferences, over the limit of {limits.max_ui_keys}", field="ui",
                            limit="max_ui_keys", value=limits.max_ui_keys)
    for key in ui:
        _name(key, f"ui.{key}")
    check_json(dict(ui), field="ui", max_bytes=limits.max_ui_bytes, limit="max_ui_bytes")
    return dict(ui)


def preferences_view(p: UserPreferences) -> dict[str, Any]:
    """As the API shows it (and the audit records it)."""
    return {"dashboard_layout": None if p.dashboard_layout is None else [t.as_dict() for t in p.dashboard_layout],
            "ui": dict(p.ui), "version": p.version, "updated_at_ms": p.updated_at_ms}
