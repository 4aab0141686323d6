"""Publishing a postmortem closes the incident, so it needs what closing needs
(``incidents:manage``), not merely the right to act on incidents."""

from __future__ import annotations

from types import MappingProxyType

import httpx
import pytest

from domain.identity import permissions, principal
from domain.identity.permissions import PERMISSIONS, Permission, Role
from domain.identity.sessions import Session
from domain.identity.users import User
from tests.unit.http.conftest import NOW_MS, Api


@pytest.fixture
def acting_but_not_managing(monkeypatch) -> None:
    """A role that may act on incidents but not manage them. Today's roles nest
    (responder holds both), so the split is made here: it is the only way to tell
    the two permissions apart through the routes."""
    split = dict(PERMISSIONS)
    split[Role.RESPONDER] = PERMISSIONS[Role.RESPONDER] - {Permission.MANAGE_INCIDENTS}
    monkeypatch.setattr(permissions, "PERMISSIONS", MappingProxyType(split))
    monkeypatch.setattr(principal, "PERMISSIONS", MappingProxyType(split))


async def test_publishing_needs_the_permission_closing_needs(api: Api, acting_but_not_managing) -> None:
    user = User("usr-1", "default", "responder", "responder@example.com", "Responder", Role.RESPONDER, created_at_ms=NOW_MS)
    session, token, csrf = Session.start("default", user.id, "local", NOW_MS, idle_ms=3_600_000, lifetime_ms=86_400_000)

    def seed(u) -> None:
        u.users.add(user)
        u.sessions.add(session)

    await api.container.uow().run(seed)
    headers = {"Cookie": f"oe_session={token}; oe_csrf={csrf}", "X-CSRF-Token": csrf}
    async with httpx.AsyncClient(transport=api.client._transport, base_url="http://test", headers=headers) as responder:
        acting = await responder.post("/api/v1/incidents/inc-1/acknowledge")
        closing = await responder.post("/api/v1/incidents/inc-1/close")
        publishing = await responder.post("/api/v1/incidents/inc-1/postmortem/publish", json={"body": "done"})
    assert acting.status_code == 404  # allowed; there is no such incident
    assert closing.status_code == 403 and "incidents:manage" in closing.json()["detail"]
    assert publishing.status_code == 403 and "incidents:manage" in publishing.json()["detail"]
