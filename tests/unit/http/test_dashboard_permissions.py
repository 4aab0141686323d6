"""The dashboard names the API's permissions in two places (frontend/src/app/core/auth/me.ts,
which pages check to hide what a user may not do, and the Roles page's table in
features/settings/roles.ts); both must say what domain/identity/permissions.py says."""

from __future__ import annotations

import re
from pathlib import Path

from domain.identity.permissions import PERMISSIONS, PLATFORM_PERMISSIONS, Permission, Role

APP = Path(__file__).resolve().parents[3] / "frontend" / "src" / "app"


def _block(text: str, start: str, end: str = "};") -> str:
    at = text.index(start)
    return text[at:text.index(end, at)]


def test_every_permission_the_dashboard_checks_exists() -> None:
    block = _block((APP / "core" / "auth" / "me.ts").read_text(), "export const Permission = {", "} as const;")
    named = set(re.findall(r":\s*'([a-z_]+:[a-z_]+)'", block))
    assert named, "no permission found in me.ts: the reader is out of date"
    assert named <= {p.value for p in Permission}, named - {p.value for p in Permission}
    assert named == {p.value for p in Permission}  # and every one the API has, so pages can check any


def test_the_roles_page_shows_what_each_role_is_granted() -> None:
    text = (APP / "features" / "settings" / "roles.ts").read_text()
    table = _block(text, "export const ROLE_PERMISSIONS")
    for role in Role:
        row = re.search(rf"\b{role.value}:\s*\[(.*?)\]", table, re.S)
        assert row is not None, f"no row for {role.value}"
        shown = set(re.findall(r"'([a-z_]+:[a-z_]+)'", row.group(1)))
        assert shown == {p.value for p in PERMISSIONS[role]}, (role, shown ^ {p.value for p in PERMISSIONS[role]})
    platform = re.search(r"PLATFORM_PERMISSIONS: readonly string\[\] = \[(.*?)\]", text, re.S)
    assert platform is not None
    assert set(re.findall(r"'([a-z_]+:[a-z_]+)'", platform.group(1))) == {p.value for p in PLATFORM_PERMISSIONS}
