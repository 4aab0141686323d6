"""/api/v1/maintenance-windows: versioned CRUD, who and why, states, limits, audit; and
a window mutes an alert in the pipeline's silence stage, as a silence does."""

from __future__ import annotations

from domain.alerts.history import Stage
from domain.alerts.state import AlertState, AlertTransition
from domain.metrics.labels import LabelSet
from tests.unit.http.conftest import NOW_MS, Api, problem

MW = "/api/v1/maintenance-windows"
HOUR = 3_600_000


def _iso(ms: int) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def once(start_ms: int, end_ms: int, **fields) -> dict:
    return {"name": "DB upgrade", "matchers": [{"name": "service", "value": "db"}], "comment": "postgres 16",
            "schedule": {"kind": "once", "starts_at": _iso(start_ms), "ends_at": _iso(end_ms)}, **fields}


async def test_create_read_replace_delete_with_versions(api: Api):
    resp = await api.client.post(MW, json=once(NOW_MS + HOUR, NOW_MS + 2 * HOUR, id="db"))
    assert resp.status_code == 201, resp.text
    window = resp.json()["data"]
    assert resp.headers["ETag"] == '"1"' and window["state"] == "upcoming" and window["next_start_ms"] == NOW_MS + HOUR
    assert window["created_by"].startswith("api_key:") and window["comment"] == "postgres 16"
    problem(await api.client.put(f"{MW}/db", json=once(NOW_MS, NOW_MS + HOUR)), 428, "version")
    resp = await api.client.put(f"{MW}/db", json=once(NOW_MS - HOUR, NOW_MS + HOUR, comment="started early"),
                                headers={"If-Match": '"1"'})
    assert resp.status_code == 200, resp.text
    assert resp.json()["data"]["state"] == "active" and resp.json()["data"]["version"] == 2
    assert resp.json()["data"]["created_by"] == window["created_by"]
    assert problem(await api.client.put(f"{MW}/db", json={**once(NOW_MS, NOW_MS + HOUR), "version": 1}),
                   409)["current_version"] == 2
    problem(await api.client.delete(f"{MW}/db"), 428)
    assert (await api.client.delete(f"{MW}/db", params={"version": 2})).status_code == 204
    problem(await api.client.get(f"{MW}/db"), 404)
    entries = (await api.client.get("/api/v1/audit", params={"target": "maintenance_window:db"})).json()["data"]
    assert sorted(e["action"] for e in entries) == ["maintenance_window.create", "maintenance_window.delete",
                                                    "maintenance_window.update"]


async def test_schedules_states_and_filters(api: Api):
    weekly = {"kind": "weekly", "timezone": "Europe/Berlin", "starts_at": _iso(NOW_MS - 24 * HOUR),
              "ends_at": _iso(NOW_MS + 30 * 24 * HOUR), "weekdays": [0, 1, 2, 3, 4, 5, 6], "start_time": "00:00",
              "duration": "24h"}
    monthly = {"kind": "rrule", "timezone": "America/New_York", "starts_at": _iso(NOW_MS),
               "ends_at": _iso(NOW_MS + 200 * 24 * HOUR), "start_time": "02:00", "duration": "2h",
               "rrule": "FREQ=MONTHLY;BYDAY=1SU"}
    for body in (once(NOW_MS - 2 * HOUR, NOW_MS - HOUR, id="old"), {**once(0, 1), "id": "always", "schedule": weekly},
                 {**once(0, 1), "id": "monthly", "schedule": monthly}):
        assert (await api.client.post(MW, json=body)).status_code == 201, body

    async def ids(**params) -> list[str]:
        return [w["id"] for w in (await api.client.get(MW, params=params)).json()["data"]]

    assert await ids() == ["always", "monthly", "old"]
    assert await ids(state="active") == ["always"]
    assert await ids(state="upcoming") == ["monthly"]
    assert await ids(state="expired") == ["old"]
    problem(await api.client.get(MW, params={"state": "soon"}), 422, "state")
    page1 = (await api.client.get(MW, params={"limit": 2})).json()
    assert [w["id"] for w in page1["data"]] == ["always", "monthly"] and page1["next_cursor"]


async def test_problems_name_the_field(api: Api):
    base = once(NOW_MS, NOW_MS + HOUR)
    problem(await api.client.post(MW, json={**base, "comment": "  "}), 422, "comment")
    problem(await api.client.post(MW, json={**base, "matchers": [{"name": "a", "op": "=~", "value": ".*"}]}), 422,
            "matchers")
    problem(await api.client.post(MW, json={**base, "matchers": [{"name": "a", "op": "=~", "value": "("}]}), 422,
            "matchers[0].value")
    bad = {**base["schedule"], "timezone": "Mars/Base"}
    problem(await api.client.post(MW, json={**base, "schedule": bad}), 422, "schedule.timezone")
    bad = {**base["schedule"], "ends_at": base["schedule"]["starts_at"]}
    problem(await api.client.post(MW, json={**base, "schedule": bad}), 422, "schedule.ends_at")
    rrule = {"kind": "rrule", "starts_at": _iso(NOW_MS), "ends_at": _iso(NOW_MS + 24 * HOUR), "start_time": "01:00",
             "duration": "1h", "rrule": "FREQ=YEARLY"}
    problem(await api.client.post(MW, json={**base, "schedule": rrule}), 422, "schedule.rrule")
    long_once = once(NOW_MS, NOW_MS + 31 * 24 * HOUR)
    assert problem(await api.client.post(MW, json=long_once), 422)["limit"] == "max_silence_duration_s"
    long_each = {**rrule, "rrule": "FREQ=DAILY", "duration": "80h"}
    assert problem(await api.client.post(MW, json={**base, "schedule": long_each}), 422)["limit"] == \
        "max_maintenance_window_s"


async def test_a_window_mutes_in_the_silence_stage(api: Api):
    await api.client.post(MW, json=once(NOW_MS - HOUR, NOW_MS + HOUR, id="db"))
    pipeline = api.container.pipeline()
    labels = LabelSet.of({"alertname": "DbDown", "service": "db"})
    decisions = await pipeline.process(
        AlertTransition("fp-db", AlertState.INACTIVE, AlertState.FIRING, NOW_MS, labels, 1.0, "default", "r1"), {})
    muted = [d for d in decisions if d.stage is Stage.SILENCE]
    assert muted and "maintenance window 'DB upgrade' (db)" in muted[0].reason and "postgres 16" in muted[0].reason
    other = await pipeline.process(AlertTransition(
        "fp-web", AlertState.INACTIVE, AlertState.FIRING, NOW_MS, LabelSet.of({"alertname": "WebDown", "service": "web"}),
        1.0, "default", "r2"), {})
    assert not [d for d in other if d.stage is Stage.SILENCE]
