"""Silences: the author is the authenticated caller, never a body field; a silence and
a maintenance window have a maximum length, refused with 422 naming the limit."""

from __future__ import annotations

from domain.alerts.silences import SilenceLimits
from entrypoints.settings import Settings
from entrypoints.temporal_worker import recurring_jobs
from tests.unit.http.conftest import Api

DAY_S = 86_400


def _silence(days: float, **extra) -> dict:
    start = 1_800_000_000
    return {"matchers": [{"name": "job", "value": "api"}], "startsAt": str(start), "endsAt": str(start + days * DAY_S),
            "comment": "deploy", **extra}


async def test_the_author_is_the_caller_whatever_the_body_says(api: Api) -> None:
    resp = await api.client.post("/api/v1/silences", json=_silence(1, createdBy="someone-else"))
    assert resp.status_code == 201, resp.text
    author = resp.json()["data"]["createdBy"]
    assert author.startswith("api_key:") and author != "someone-else"
    [listed] = (await api.client.get("/api/v1/silences")).json()["data"]
    assert listed["createdBy"] == author


async def test_a_body_without_an_author_is_fine(api: Api) -> None:
    resp = await api.client.post("/api/v1/silences", json=_silence(1))
    assert resp.status_code == 201 and resp.json()["data"]["createdBy"].startswith("api_key:")


def _limit(resp, limit: str, field: str, value: int) -> None:
    assert resp.status_code == 422, resp.text
    body = resp.json()
    assert (body["limit"], body["field"], body["limit_value"]) == (limit, field, value), body


async def test_a_silence_lasts_at_most_30_days(api: Api) -> None:
    assert (await api.client.post("/api/v1/silences", json=_silence(30))).status_code == 201
    _limit(await api.client.post("/api/v1/silences", json=_silence(30.5)), "max_silence_duration_s", "endsAt", 30 * DAY_S)
    assert len((await api.client.get("/api/v1/silences")).json()["data"]) == 1


async def test_a_maintenance_window_has_a_maximum_occurrence_and_span(api: Api) -> None:
    weekly = {"timezone": "Europe/Berlin", "weekdays": [5], "start_time": "22:00", "duration": "48h"}
    ok = await api.client.post("/api/v1/silences", json=_silence(300, recurrence=weekly))
    assert ok.status_code == 201, ok.text  # a weekly window may be valid far longer than a silence
    _limit(await api.client.post("/api/v1/silences", json=_silence(30, recurrence=weekly | {"duration": "73h"})),
           "max_maintenance_window_s", "recurrence.duration", 3 * DAY_S)
    _limit(await api.client.post("/api/v1/silences", json=_silence(367, recurrence=weekly)),
           "max_maintenance_span_s", "endsAt", 366 * DAY_S)


async def test_maintenance_windows_of_the_settings_seed_resources_once_held_to_the_limits(api: Api) -> None:
    ok = {"window_id": "patch", "cron": "0 22 * * 6", "duration_ms": 4 * 3_600_000, "comment": "kernel updates",
          "matchers": [{"name": "job", "op": "=", "value": "db"}], "timezone": "Europe/Berlin"}
    too_long = {**ok, "window_id": "long", "duration_ms": 4 * DAY_S * 1000}
    odd = {**ok, "window_id": "odd", "cron": "*/5 * * * *"}
    windows = api.container.maintenance_windows()
    assert await windows.seed("default", [ok, too_long, odd], span_ms=30 * DAY_S * 1000) == ["patch"]
    [seeded] = (await api.client.get("/api/v1/maintenance-windows")).json()["data"]
    assert (seeded["id"], seeded["schedule"]["rrule"], seeded["schedule"]["start_time"]) == ("patch", "FREQ=WEEKLY;BYDAY=SA", "22:00")
    assert seeded["seeded_from"] == "maintenance_windows[0]" and seeded["comment"] == "kernel updates"
    # No Temporal schedule for them any more.
    assert "MaintenanceWindowWorkflow" not in {j.workflow for j in recurring_jobs(Settings(maintenance_windows=[ok]))}
    # Once: deleted through the API, a window is not seeded again at the next start.
    await api.client.delete("/api/v1/maintenance-windows/patch", params={"version": 1})
    assert await windows.seed("default", [ok], span_ms=30 * DAY_S * 1000) == []
    assert (await api.client.get("/api/v1/maintenance-windows")).json()["data"] == []


def test_the_limits_are_settings() -> None:
    from entrypoints.container import silence_limits

    assert silence_limits(Settings(max_silence_duration_s=3600)) == SilenceLimits(
        max_duration_ms=3_600_000, max_window_ms=3 * DAY_S * 1000, max_span_ms=366 * DAY_S * 1000)
