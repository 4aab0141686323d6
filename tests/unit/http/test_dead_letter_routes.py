"""``/api/v1/dead-letters``: a platform administrator (signed in) lists and replays what
the consumers gave up on; a tenant's admin, even by an admin API key, may not (dead
letters hold every tenant's messages)."""

from __future__ import annotations

import httpx

from entrypoints.container import build_container
from entrypoints.runtime import build_app
from entrypoints.settings import Settings
from services.identity import Actor
from tests.support.clock import FakeClock
from tests.unit.http.conftest import NOW_MS


async def test_platform_administrators_list_and_replay_and_tenant_admins_may_not(tmp_path) -> None:
    container = build_container(Settings(data_dir=tmp_path, agent=False))
    container.clock.override(FakeClock(NOW_MS))
    await container.tenants().bootstrap_tenant("default")
    await container.accounts().create_user("default", Actor.system(), username="root", email="root@example.com",
                                           name="Root", role="admin", password="the root password",
                                           platform_admin=True)
    _, admin_key = await container.api_keys().create_api_key("default", "admin", ["admin"])
    bus = container.bus()
    await bus.publish("alerts", b"k", b"\x00bad")
    [m] = await bus.read("alerts")
    await (await bus.subscribe(["alerts"], "pipeline")).dead_letter(m, "ValueError: unreadable", 5)
    app = build_app(container, with_agent=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://oe.test") as site:
        refused = await site.get("/api/v1/dead-letters", headers={"Authorization": f"Bearer {admin_key}"})
        assert refused.status_code == 403 and "dead_letters:manage" in refused.json()["detail"]
        signed_in = await site.post("/api/v1/auth/login", json={"username": "root", "password": "the root password"})
        assert signed_in.status_code == 200
        listed = await site.get("/api/v1/dead-letters")
        assert listed.status_code == 200
        [doc] = listed.json()["data"]
        assert (doc["group"], doc["topic"], doc["tries"], doc["error"], doc["size"]) == (
            "pipeline", "alerts", 5, "ValueError: unreadable", 4)
        assert (await site.get(f"/api/v1/dead-letters/{doc['id']}")).json()["data"]["offset"] == m.offset
        replayed = await site.post(f"/api/v1/dead-letters/{doc['id']}/replay",
                                   headers={"X-CSRF-Token": site.cookies["oe_csrf"]})
        assert replayed.status_code == 200 and replayed.json()["data"]["replayed_at_ms"] == NOW_MS
        assert [x.value for x in await bus.read("alerts")] == [b"\x00bad", b"\x00bad"]  # back where it came from
        missing = await site.get("/api/v1/dead-letters/pipeline/alerts/0/999")
        assert missing.status_code == 404
