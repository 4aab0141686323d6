"""``/api/v1/dead-letters``: the operator's admins list and replay what the consumers
gave up on; a viewer may not."""

from __future__ import annotations

from tests.unit.http.conftest import Api


async def test_the_api_lists_and_replays_for_the_operators_admins(api: Api) -> None:
    bus = api.container.bus()
    await bus.publish("alerts", b"k", b"\x00bad")
    [m] = await bus.read("alerts")
    await (await bus.subscribe(["alerts"], "pipeline")).dead_letter(m, "ValueError: unreadable", 5)
    listed = await api.client.get("/api/v1/dead-letters")
    assert listed.status_code == 200
    [doc] = listed.json()["data"]
    assert (doc["group"], doc["topic"], doc["tries"], doc["error"], doc["size"]) == ("pipeline", "alerts", 5,
                                                                                       "ValueError: unreadable", 4)
    replayed = await api.client.post(f"/api/v1/dead-letters/{doc['id']}/replay")
    assert replayed.status_code == 200 and replayed.json()["data"]["replayed_by"]
    _, viewer = await api.container.identity().create_api_key("default", "viewer", ["read"])
    refused = await api.client.get("/api/v1/dead-letters", headers={"Authorization": f"Bearer {viewer}"})
    assert refused.status_code == 403 and "dead_letters:manage" in refused.json()["detail"]
