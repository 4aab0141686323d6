"""Alert rules as versioned resources through the API (docs/adr/0017-configuration-resources.md):
ETags, 428 without a version, 409 naming current_version on a stale one, PATCH as a
JSON merge patch, enable/disable, filters and paging, groups, the audit entry with
before and after, and the announcement that makes the evaluators re-read the rules."""

from __future__ import annotations

import asyncio

from tests.unit.http.conftest import Api, problem

CPU = {"name": "HighCpu", "selector": 'cpu{env="prod"}', "aggregation": "avg", "window": "5m", "op": ">",
       "threshold": 0.9, "for": "1m", "labels": {"severity": "page", "team": "infra"}, "group": "hosts"}


async def _create(api: Api, **fields) -> dict:
    resp = await api.client.post("/api/v1/rules", json={**CPU, **fields})
    assert resp.status_code == 201, resp.text
    assert resp.headers["ETag"] == '"1"'
    return resp.json()["data"]


async def test_a_created_rule_is_read_back_with_its_version_as_etag(api: Api):
    rule = await _create(api, id="cpu-high")
    assert (rule["id"], rule["version"], rule["group"], rule["enabled"]) == ("cpu-high", 1, "hosts", True)
    resp = await api.client.get("/api/v1/rules/cpu-high")
    assert resp.status_code == 200 and resp.headers["ETag"] == '"1"'
    assert resp.json()["data"] == rule
    problem(await api.client.get("/api/v1/rules/nope"), 404)
    problem(await api.client.post("/api/v1/rules", json={**CPU, "id": "cpu-high"}), 409)
    problem(await api.client.post("/api/v1/rules", json={**CPU, "id": "groups"}), 422, "id")


async def test_put_needs_the_version_and_refuses_a_stale_one(api: Api):
    await _create(api, id="r1")
    problem(await api.client.put("/api/v1/rules/r1", json={**CPU, "threshold": 0.8}), 428, "version")
    resp = await api.client.put("/api/v1/rules/r1", json={**CPU, "threshold": 0.8}, headers={"If-Match": '"1"'})
    assert resp.status_code == 200, resp.text
    assert resp.headers["ETag"] == '"2"' and resp.json()["data"]["threshold"] == 0.8
    stale = problem(await api.client.put("/api/v1/rules/r1", json={**CPU, "threshold": 0.7, "version": 1}), 409)
    assert stale["current_version"] == 2
    assert (await api.client.get("/api/v1/rules/r1")).json()["data"]["threshold"] == 0.8
    problem(await api.client.put("/api/v1/rules/r1", json={**CPU, "version": 2}, headers={"If-Match": '"1"'}), 422,
            "version")
    problem(await api.client.put("/api/v1/rules/gone", json={**CPU, "version": 1}), 404)


async def test_put_may_change_the_kind_and_validation_names_the_field(api: Api):
    await _create(api, id="r1")
    absence = {"type": "absence", "name": "CpuGone", "selector": "cpu", "absent_for": "10m", "version": 1}
    resp = await api.client.put("/api/v1/rules/r1", json=absence)
    assert resp.status_code == 200, resp.text
    assert (resp.json()["data"]["type"], resp.json()["data"]["absent_for_ms"]) == ("absence", 600_000)
    problem(await api.client.put("/api/v1/rules/r1", json={**absence, "version": 2, "absent_for": None}), 422,
            "absent_for")
    problem(await api.client.put("/api/v1/rules/r1", json={**CPU, "version": 2, "window": "soon"}), 422, "window")
    problem(await api.client.put("/api/v1/rules/r1", json={**CPU, "version": 2, "group": ""}), 422, "group")


async def test_patch_merges_into_the_stored_rule(api: Api):
    await _create(api, id="r1")
    resp = await api.client.patch("/api/v1/rules/r1", json={"version": 1, "threshold": 0.5,
                                                             "labels": {"team": None, "tier": "1"}})
    assert resp.status_code == 200, resp.text
    rule = resp.json()["data"]
    assert (rule["threshold"], rule["labels"], rule["version"]) == (0.5, {"severity": "page", "tier": "1"}, 2)
    assert (rule["window_ms"], rule["for_ms"], rule["aggregation"]) == (300_000, 60_000, "avg")  # untouched
    problem(await api.client.patch("/api/v1/rules/r1", json={"threshold": 0.4}), 428)
    assert problem(await api.client.patch("/api/v1/rules/r1", json={"threshold": 0.4},
                                          headers={"If-Match": '"1"'}), 409)["current_version"] == 2
    problem(await api.client.patch("/api/v1/rules/r1", json={"version": 2, "threshold": "high"}), 422, "threshold")
    problem(await api.client.patch("/api/v1/rules/r1", json={"version": 2, "colour": "red"}), 422, "colour")
    problem(await api.client.patch("/api/v1/rules/r1", json={"version": "2"}), 422, "version")


async def test_enable_and_disable_are_versioned_writes(api: Api):
    await _create(api, id="r1")
    problem(await api.client.post("/api/v1/rules/r1/disable"), 428)
    resp = await api.client.post("/api/v1/rules/r1/disable", json={"version": 1})
    assert resp.status_code == 200 and resp.json()["data"]["enabled"] is False and resp.headers["ETag"] == '"2"'
    assert problem(await api.client.post("/api/v1/rules/r1/enable", params={"version": 1}), 409)["current_version"] == 2
    resp = await api.client.post("/api/v1/rules/r1/enable", headers={"If-Match": '"2"'})
    assert resp.json()["data"]["enabled"] is True and resp.json()["data"]["version"] == 3


async def test_delete_needs_the_version(api: Api):
    await _create(api, id="r1")
    problem(await api.client.delete("/api/v1/rules/r1"), 428)
    assert problem(await api.client.delete("/api/v1/rules/r1", params={"version": 7}), 409)["current_version"] == 1
    assert (await api.client.delete("/api/v1/rules/r1", headers={"If-Match": '"1"'})).status_code == 204
    problem(await api.client.get("/api/v1/rules/r1"), 404)
    problem(await api.client.delete("/api/v1/rules/r1", params={"version": 1}), 404)


async def test_list_filters_pages_and_groups(api: Api):
    await _create(api, id="a", name="HighCpu", group="hosts")
    await _create(api, id="b", name="LowDisk", group="hosts", labels={"team": "storage"})
    await _create(api, id="c", name="ApiDown", group="api", enabled=False)
    await api.client.post("/api/v1/rules", json={"id": "d", "type": "absence", "name": "NoHeartbeat",
                                                 "selector": "up", "absent_for": "5m", "group": "api"})

    async def ids(**params) -> list[str]:
        resp = await api.client.get("/api/v1/rules", params=params)
        assert resp.status_code == 200, resp.text
        return [r["id"] for r in resp.json()["data"]]

    assert await ids() == ["c", "d", "a", "b"]  # by group, then name
    assert await ids(group="hosts") == ["a", "b"]
    assert await ids(type="absence") == ["d"]
    assert await ids(enabled="false") == ["c"]
    assert await ids(q="disk") == ["b"]
    assert await ids(q="TEAM=STORAGE") == ["b"]
    first = (await api.client.get("/api/v1/rules", params={"limit": 3})).json()
    assert [r["id"] for r in first["data"]] == ["c", "d", "a"] and first["next_cursor"]
    rest = (await api.client.get("/api/v1/rules", params={"limit": 3, "cursor": first["next_cursor"]})).json()
    assert [r["id"] for r in rest["data"]] == ["b"] and rest["next_cursor"] is None
    problem(await api.client.get("/api/v1/rules", params={"type": "promql"}), 422, "type")
    groups = (await api.client.get("/api/v1/rules/groups")).json()["data"]
    assert groups == [{"name": "api", "rules": 2, "enabled": 1}, {"name": "hosts", "rules": 2, "enabled": 2}]


async def test_every_change_is_audited_with_before_and_after(api: Api):
    await _create(api, id="r1")
    api.clock.advance(1000)
    await api.client.patch("/api/v1/rules/r1", json={"version": 1, "threshold": 0.5})
    api.clock.advance(1000)
    await api.client.post("/api/v1/rules/r1/disable", json={"version": 2})
    api.clock.advance(1000)
    await api.client.delete("/api/v1/rules/r1", params={"version": 3})
    entries = (await api.client.get("/api/v1/audit", params={"target": "rule:r1"})).json()["data"]
    assert [e["action"] for e in entries] == ["rule.delete", "rule.disable", "rule.update", "rule.create"]
    update = entries[2]
    assert (update["before"]["threshold"], update["after"]["threshold"]) == (0.9, 0.5)
    assert (update["before"]["version"], update["after"]["version"]) == (1, 2)
    assert entries[3]["before"] is None and entries[0]["after"] is None
    # The route wrote its own entry: the middleware's generic one is not written as well.
    generic = (await api.client.get("/api/v1/audit", params={"action": "http.post"})).json()["data"]
    assert not [e for e in generic if e["target"].startswith("/api/v1/rules")]


async def test_a_change_is_announced_to_the_config_watchers(api: Api):
    watcher = api.container.config_watcher()
    heard: list[str] = []
    watcher.on("rules", heard.append)
    stop = asyncio.Event()
    task = asyncio.create_task(watcher.run(stop))
    await asyncio.sleep(0)
    await _create(api, id="r1")
    for _ in range(100):
        if heard:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await task
    assert heard == ["default"]


async def _ingest_cpu(api: Api, values: list[float], every_ms: int = 60_000) -> None:
    start = api.clock.now_ms() - len(values) * every_ms
    samples = [[start + i * every_ms, v] for i, v in enumerate(values)]
    resp = await api.client.post("/api/v1/ingest", json={"series": [
        {"name": "cpu", "labels": {"env": "prod", "host": "a"}, "samples": samples}]})
    assert resp.status_code == 202, resp.text
    await api.drain()


async def test_dry_run_of_a_stored_rule_says_when_it_would_have_fired(api: Api):
    await _create(api, id="r1", window="2m", **{"for": "0s"})
    await _ingest_cpu(api, [0.1] * 30 + [0.95] * 10 + [0.1] * 20)
    resp = await api.client.post("/api/v1/rules/r1/dry-run", json={"range": "2h"})
    assert resp.status_code == 200, resp.text
    run = resp.json()["data"]
    assert run["would_have_fired"] is True and run["rule"]["id"] == "r1"
    assert [t["to"] for t in run["transitions"]] == ["firing", "resolved"]
    assert run["summary"]["series"] == 1 and run["summary"]["samples"] == 60
    assert run["end_ms"] - run["start_ms"] == 7_200_000
    assert run["summary"]["first_fired_at_ms"] == run["transitions"][0]["at_ms"]
    assert run["transitions"][0]["labels"] == {"alertname": "HighCpu", "env": "prod", "host": "a",
                                               "severity": "page", "team": "infra"}
    # a dry run changes nothing: no audit entry
    assert not (await api.client.get("/api/v1/audit", params={"action": "http.post"})).json()["data"]


async def test_dry_run_of_a_definition_and_its_problems(api: Api):
    await _ingest_cpu(api, [0.5] * 30)
    resp = await api.client.post("/api/v1/rules/dry-run", json={**CPU, "threshold": 0.4, "range": "1h"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["data"]["would_have_fired"] is True
    quiet = (await api.client.post("/api/v1/rules/dry-run", json={**CPU, "threshold": 0.6})).json()["data"]
    assert quiet["would_have_fired"] is False and quiet["transitions"] == [] and quiet["summary"]["series"] == 1
    problem(await api.client.post("/api/v1/rules/dry-run", json={**CPU, "range": "30d"}), 422, "range")
    problem(await api.client.post("/api/v1/rules/dry-run", json={**CPU, "range": "later"}), 422, "range")
    problem(await api.client.post("/api/v1/rules/dry-run", json={**CPU, "threshold": None}), 422, "threshold")
    problem(await api.client.post("/api/v1/rules/nope/dry-run"), 404)
    assert (await api.client.get("/api/v1/rules")).json()["data"] == []  # nothing was stored
