"""Escalation policies and schedules through the API: versioned CRUD (428 without a
version, 409 naming current_version on a stale one), paging, field-named errors, audit,
overrides, now-and-next, shifts and a person's schedules; the escalation reads the
stored policy at once."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from domain.identity import Role, User
from domain.identity.audit import AuditQuery
from tests.unit.http.conftest import NOW_MS, problem

HOUR = 3_600_000
DAY = 24 * HOUR
BERLIN = ZoneInfo("Europe/Berlin")


def berlin(y, mo, d, h=0) -> int:
    return int(datetime(y, mo, d, h, tzinfo=BERLIN).timestamp() * 1000)


def schedule(id="primary", users=("ada", "bob"), start=None, **extra) -> dict:
    return {"id": id, "name": id.title(), "timezone": "Europe/Berlin",
            "layers": [{"name": "daily", "rotation": {"users": list(users), "start_ms": start or berlin(2027, 3, 20, 9),
                                                      "handoff_time": "09:00", "timezone": "Europe/Berlin",
                                                      "length": "daily"}}], **extra}


def policy(id="web", ref="primary", **extra) -> dict:
    return {"id": id, "name": "Web", "severities": ["SEV1"],
            "levels": [{"timeout_ms": 600_000, "targets": [{"kind": "schedule", "ref": ref}]}], **extra}


async def add_people(api, *names) -> None:
    def work(u):
        for n in names:
            u.users.add(User(f"usr-{n}", "default", n, f"{n}@example.com", n.title(), Role.RESPONDER, created_at_ms=NOW_MS))
    await api.container.uow().run(work)


async def test_schedule_and_policy_lifecycle_with_versions(api):
    await add_people(api, "ada", "bob")
    created = await api.client.post("/api/v1/schedules", json=schedule())
    assert created.status_code == 201, created.text
    assert created.headers["ETag"] == '"1"' and created.json()["data"]["version"] == 1
    assert (await api.client.post("/api/v1/escalation-policies", json=policy())).status_code == 201

    got = await api.client.get("/api/v1/schedules/primary")
    assert got.headers["ETag"] == '"1"' and got.json()["data"]["layers"][0]["rotation"]["users"] == ["ada", "bob"]

    problem(await api.client.put("/api/v1/schedules/primary", json=schedule(users=("bob",))), 428)
    updated = await api.client.put("/api/v1/schedules/primary", json=schedule(users=("bob", "ada")),
                                   headers={"If-Match": '"1"'})
    assert updated.status_code == 200 and updated.headers["ETag"] == '"2"'
    stale = problem(await api.client.put("/api/v1/schedules/primary", json={**schedule(), "version": 1}), 409)
    assert stale["current_version"] == 2

    # A schedule a policy pages cannot go; the policy first.
    problem(await api.client.delete("/api/v1/schedules/primary", params={"version": 2}), 409)
    problem(await api.client.delete("/api/v1/escalation-policies/web"), 428)
    assert (await api.client.delete("/api/v1/escalation-policies/web", params={"version": 1})).status_code == 204
    assert (await api.client.delete("/api/v1/schedules/primary", headers={"If-Match": '"2"'})).status_code == 204
    problem(await api.client.get("/api/v1/schedules/primary"), 404)

    entries = await api.container.audit().query(AuditQuery("default", action=None, limit=50))
    actions = [e.action for e in entries if e.action.startswith("oncall.")]
    assert sorted(actions) == sorted(["oncall.schedule.create", "oncall.policy.create", "oncall.schedule.update",
                                      "oncall.policy.delete", "oncall.schedule.delete"])
    update = next(e for e in entries if e.action == "oncall.schedule.update")
    assert update.before["layers"][0]["rotation"]["users"] == ["ada", "bob"]
    assert update.after["layers"][0]["rotation"]["users"] == ["bob", "ada"]
    # The routes wrote the richer entries for what succeeded (refused attempts the middleware records).
    assert not [e for e in entries if e.action.startswith("http.") and (e.status or 0) < 400]


async def test_errors_name_the_field(api):
    await add_people(api, "ada")
    bad = schedule(users=("ada", ""))
    problem(await api.client.post("/api/v1/schedules", json=bad), 422, "layers[0].rotation.users[1]")
    problem(await api.client.post("/api/v1/schedules", json=schedule(users=("ada", "nobody"))), 422,
            "layers[0].rotation.users[1]")
    problem(await api.client.post("/api/v1/escalation-policies", json=policy(ref="missing")), 422,
            "levels[0].targets[0].ref")
    problem(await api.client.post("/api/v1/escalation-policies", json={**policy(), "repeat": 1000}), 422, "repeat")
    team = {"timeout_ms": 60_000, "targets": [{"kind": "team", "ref": "no-such-team"}]}
    problem(await api.client.post("/api/v1/escalation-policies", json={**policy(), "levels": [team]}), 422,
            "levels[0].targets[0].ref")
    assert (await api.client.post("/api/v1/schedules", json=schedule(users=("ada",)))).status_code == 201
    problem(await api.client.post("/api/v1/schedules", json=schedule(users=("ada",))), 409)
    problem(await api.client.put("/api/v1/schedules/primary", json={**schedule("other", users=("ada",)), "version": 1}),
            422, "id")


async def test_lists_page_by_id(api):
    await add_people(api, "ada")
    for i in (3, 1, 2):
        assert (await api.client.post("/api/v1/schedules", json=schedule(f"s{i}", users=("ada",)))).status_code == 201
    first = (await api.client.get("/api/v1/schedules", params={"limit": 2})).json()
    assert [s["id"] for s in first["data"]] == ["s1", "s2"] and first["next_cursor"]
    second = (await api.client.get("/api/v1/schedules", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [s["id"] for s in second["data"]] == ["s3"] and second["next_cursor"] is None


async def test_overrides_now_next_and_shifts_across_dst(api):
    await add_people(api, "ada", "bob", "cy")
    assert (await api.client.post("/api/v1/schedules", json=schedule())).status_code == 201
    sunday = "2027-03-28T08:00:00+02:00"  # the morning after Berlin's spring change
    now = (await api.client.get("/api/v1/schedules/primary/oncall", params={"at": sunday})).json()["data"]
    assert now["current"]["start"] == "2027-03-27T09:00:00+01:00"
    assert now["current"]["end"] == "2027-03-28T09:00:00+02:00"
    assert now["next"]["start"] == now["current"]["end"] and now["next"]["user"] != now["current"]["user"]

    # cy takes 08:00-12:00 that Sunday.
    body = {"user": "cy", "start_ms": berlin(2027, 3, 28, 8), "end_ms": berlin(2027, 3, 28, 12)}
    added = await api.client.post("/api/v1/schedules/primary/overrides", json=body)
    assert added.status_code == 201, added.text
    override_id = added.json()["data"]["id"]
    assert added.json()["schedule_version"] == 2
    now = (await api.client.get("/api/v1/schedules/primary/oncall", params={"at": sunday})).json()["data"]
    assert now["current"]["user"] == "cy" and now["current"]["end"] == "2027-03-28T12:00:00+02:00"

    shifts = (await api.client.get("/api/v1/schedules/primary/shifts", params={
        "start": "2027-03-27T00:00:00+01:00", "end": "2027-03-29T00:00:00+02:00"})).json()["data"]["shifts"]
    assert [s["user"] for s in shifts][:3] == [shifts[0]["user"], shifts[1]["user"], "cy"]
    assert all(a["end_ms"] == b["start_ms"] for a, b in zip(shifts, shifts[1:]))

    mine = (await api.client.get("/api/v1/oncall", params={"user": "usr-cy", "at": sunday})).json()["data"]
    assert mine == [{**mine[0], "schedule": "primary", "on_call": True}]
    everyone = (await api.client.get("/api/v1/oncall", params={"at": sunday})).json()["data"]
    assert [s["current"]["user"] for s in everyone] == ["cy"]

    problem(await api.client.post("/api/v1/schedules/primary/overrides", json={**body, "user": "zed"}), 422, "user")
    problem(await api.client.post("/api/v1/schedules/primary/overrides", json={**body, "end_ms": body["start_ms"]}),
            422, "end_ms")
    assert (await api.client.delete(f"/api/v1/schedules/primary/overrides/{override_id}")).status_code == 204
    problem(await api.client.delete(f"/api/v1/schedules/primary/overrides/{override_id}"), 404)
    now = (await api.client.get("/api/v1/schedules/primary/oncall", params={"at": sunday})).json()["data"]
    assert now["current"]["user"] != "cy"
    problem(await api.client.get("/api/v1/schedules/primary/shifts", params={"start": "0", "end": "99999999"}), 422,
            "end")


async def test_the_escalation_reads_the_stored_policy_as_soon_as_it_is_written(api):
    await add_people(api, "ada")
    directory = api.container.oncall()
    assert await directory.policy_for("default", "SEV1") is None  # read (and cached) before the write
    assert (await api.client.post("/api/v1/schedules", json=schedule(users=("ada",)))).status_code == 201
    assert (await api.client.post("/api/v1/escalation-policies", json=policy())).status_code == 201
    # The write announced "oncall"; the watcher the processes run drops the cached copy.
    watcher = api.container.config_watcher()
    await watcher.dispatch(b'{"type": "config_changed", "tenant": "default", "kind": "oncall"}')
    found = await directory.policy_for("default", "SEV1")
    assert found is not None and found.id == "web"
    assert await directory.policy_for("default", "SEV3") is None  # only SEV1
    frozen = await api.container.escalation().freeze("default", "SEV1")
    assert frozen["policy"]["id"] == "web" and list(frozen["schedules"]) == ["primary"]


async def session_of(api, username: str, role: Role) -> dict[str, str]:
    """Headers of a signed-in user (the fixture's client speaks with an admin key)."""
    from domain.identity import Session

    def work(u):
        user = u.users.by_username("default", username)
        if user is None:
            user = User(f"usr-{username}", "default", username, f"{username}@example.com", username, role,
                        created_at_ms=NOW_MS)
            u.users.add(user)
        session, token, csrf = Session.start("default", user.id, "local", NOW_MS, idle_ms=3_600_000,
                                             lifetime_ms=86_400_000)
        u.sessions.add(session)
        return {"Cookie": f"oe_session={token}; oe_csrf={csrf}", "X-CSRF-Token": csrf, "Authorization": ""}

    return await api.container.uow().run(work)


async def test_a_calendar_feed_shows_a_persons_shifts_until_it_is_revoked(api):
    from icalendar import Calendar

    await add_people(api, "ada", "bob")
    start = NOW_MS - 3 * DAY
    assert (await api.client.post("/api/v1/schedules", json=schedule(start=start))).status_code == 201
    ada = await session_of(api, "ada", Role.VIEWER)
    made = await api.client.post("/api/v1/oncall/feeds", json={}, headers=ada)
    assert made.status_code == 201, made.text
    feed = made.json()["data"]
    assert feed["user"] == "usr-ada" and feed["url"].endswith(".ics")
    problem(await api.client.post("/api/v1/oncall/feeds", json={"user": "bob"}, headers=ada), 403)
    problem(await api.client.post("/api/v1/oncall/feeds", json={}), 422, "user")  # an API key has no shifts

    path = feed["url"].removeprefix("http://test")
    async with httpx_anonymous(api) as anonymous:
        got = await anonymous.get(path)
        assert got.status_code == 200 and got.headers["content-type"].startswith("text/calendar")
        events = [c for c in Calendar.from_ical(got.content).walk("VEVENT")]
        # The feed spans 14 days back and 90 ahead; the rotation began 3 days ago, so it
        # covers 93 days, every other one ada's.
        assert len(events) in (46, 47)
        assert all(str(e["description"]).startswith("ada is on call") for e in events)
        assert all(23 * HOUR <= (e.decoded("dtend") - e.decoded("dtstart")).total_seconds() * 1000 <= 25 * HOUR
                   for e in events[1:-1])
        assert len({str(e["uid"]) for e in events}) == len(events)
        assert (await anonymous.get("/api/v1/oncall/feeds/" + "x" * 43 + ".ics")).status_code == 404

        listed = (await api.client.get("/api/v1/oncall/feeds", headers=ada)).json()["data"]
        assert [f["id"] for f in listed] == [feed["id"]] and "url" not in listed[0]
        bob = await session_of(api, "bob", Role.VIEWER)
        assert (await api.client.get("/api/v1/oncall/feeds", headers=bob)).json()["data"] == []
        problem(await api.client.delete(f"/api/v1/oncall/feeds/{feed['id']}", headers=bob), 403)
        assert (await api.client.delete(f"/api/v1/oncall/feeds/{feed['id']}", headers=ada)).status_code == 204
        assert (await anonymous.get(path)).status_code == 404
    entries = await api.container.audit().query(AuditQuery("default", limit=50))
    assert {"oncall.feed.create", "oncall.feed.revoke"} <= {e.action for e in entries}


def httpx_anonymous(api):
    import httpx

    return httpx.AsyncClient(transport=api.client._transport, base_url="http://test")
