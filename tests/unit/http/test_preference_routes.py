"""/api/v1/me/preferences: the caller's own document, versioned (ETag, 428, 409), each
invalid tile or preference a problem naming the field, the limits named."""

from __future__ import annotations

from tests.unit.http.conftest import Api, problem

PREFS = "/api/v1/me/preferences"
LAYOUT = [{"id": "cpu", "kind": "cpu", "w": 2, "h": 2}, {"id": "alerts", "kind": "alerts", "w": 1, "h": 1}]


async def test_empty_until_saved_then_versioned(api: Api):
    resp = await api.client.get(PREFS)
    assert resp.status_code == 200 and resp.headers["ETag"] == '"0"'
    assert resp.json()["data"] == {"dashboard_layout": None, "ui": {}, "version": 0, "updated_at_ms": 0}
    problem(await api.client.put(PREFS, json={"dashboard_layout": LAYOUT}), 428)

    resp = await api.client.put(PREFS, json={"dashboard_layout": LAYOUT, "ui": {"theme": "dark"}}, headers={"If-Match": '"0"'})
    assert resp.status_code == 200, resp.text
    assert resp.headers["ETag"] == '"1"' and resp.json()["data"]["version"] == 1
    got = (await api.client.get(PREFS)).json()["data"]
    assert got["dashboard_layout"] == LAYOUT and got["ui"] == {"theme": "dark"}
    assert got["updated_at_ms"] == api.clock.now_ms()

    stale = problem(await api.client.put(PREFS, json={"dashboard_layout": [], "version": 0}), 409)
    assert stale["current_version"] == 1
    resp = await api.client.put(PREFS, json={"dashboard_layout": None, "version": 1})
    assert resp.json()["data"] == {"dashboard_layout": None, "ui": {}, "version": 2, "updated_at_ms": api.clock.now_ms()}


async def test_each_users_own(api: Api):
    await api.client.put(PREFS, json={"dashboard_layout": LAYOUT, "version": 0})
    _, other = await api.container.api_keys().create_api_key("default", "other", ["read"])
    theirs = await api.client.get(PREFS, headers={"Authorization": f"Bearer {other}"})
    assert theirs.json()["data"]["dashboard_layout"] is None and theirs.json()["data"]["version"] == 0


async def test_invalid_documents_name_the_field(api: Api):
    cases = [
        ([{"id": "cpu", "kind": "cpu", "w": 0, "h": 1}], {}, "dashboard_layout[0].w"),
        ([{"id": "cpu", "kind": "cpu", "w": 1, "h": 1.5}], {}, "dashboard_layout[0].h"),
        ([LAYOUT[0], {**LAYOUT[1], "id": "cpu"}], {}, "dashboard_layout[1].id"),
        ([{"id": "cpu", "kind": "", "w": 1, "h": 1}], {}, "dashboard_layout[0].kind"),
        ([{"id": "cpu", "kind": "cpu", "w": 1, "h": 1, "colour": "red"}], {}, "dashboard_layout[0].colour"),
        (["cpu"], {}, "dashboard_layout[0]"),
        (None, {"bad key": 1}, "ui.bad key"),
    ]
    for layout, ui, field in cases:
        problem(await api.client.put(PREFS, json={"dashboard_layout": layout, "ui": ui, "version": 0}), 422, field)
    problem(await api.client.put(PREFS, json={"ui": [], "version": 0}), 422, "ui")
    problem(await api.client.put(PREFS, json={"layout": LAYOUT, "version": 0}), 422, "layout")
    assert (await api.client.get(PREFS)).json()["data"]["version"] == 0  # nothing was stored


async def test_limits_are_named(api: Api):
    many = [{"id": f"t{i}", "kind": "cpu", "w": 1, "h": 1} for i in range(65)]
    body = problem(await api.client.put(PREFS, json={"dashboard_layout": many, "version": 0}), 422, "dashboard_layout")
    assert body["limit"] == "max_tiles"
    body = problem(await api.client.put(PREFS, json={"ui": {"notes": "x" * 20_000}, "version": 0}), 422, "ui")
    assert body["limit"] == "max_ui_bytes"
