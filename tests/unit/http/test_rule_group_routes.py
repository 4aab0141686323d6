"""/api/v1/rule-groups (create, replace, read, delete, import and export rule files)
and Prometheus' /rules and /alerts views of them."""

from __future__ import annotations

import yaml

from domain.alerts.rules import Comparison, ThresholdRule
from tests.unit.http.conftest import NOW_MS, Api

RG = "/api/v1/rule-groups"
GROUP = {
    "name": "api", "interval": "30s",
    "rules": [
        {"record": "job:up:sum", "expr": "sum by (job) (up)"},
        {"alert": "JobDown", "expr": "job:up:sum == 0", "for": "5m", "keep_firing_for": "1m",
         "labels": {"severity": "page"}, "annotations": {"summary": "{{ $labels.job }} is down"}},
    ],
}
FILE = """
groups:
- name: node
  rules:
  - alert: InstanceDown
    expr: up == 0
    for: 1m
- name: recording
  interval: 15s
  rules:
  - record: instance:up:count
    expr: count by (instance) (up)
"""


async def viewer(api: Api) -> dict[str, str]:
    _, key = await api.container.api_keys().create_api_key("default", "viewer", ["read"])
    return {"Authorization": f"Bearer {key}"}


async def test_create_read_replace_and_delete_a_group(api: Api) -> None:
    created = await api.client.post(RG, json=GROUP)
    assert created.status_code == 201, created.text
    assert created.json()["data"] == {**GROUP, "source": ""}
    assert (await api.client.post(RG, json=GROUP)).status_code == 409
    got = await api.client.get(f"{RG}/api")
    assert got.json()["data"]["rules"][1]["for"] == "5m"
    smaller = {"rules": [{"alert": "Always", "expr": "vector(1)"}]}
    replaced = await api.client.put(f"{RG}/api", json=smaller)
    assert replaced.status_code == 200 and replaced.json()["data"] == {"name": "api", "rules": smaller["rules"],
                                                                         "source": ""}
    assert [g["name"] for g in (await api.client.get(RG)).json()["data"]] == ["api"]
    assert (await api.client.delete(f"{RG}/api")).status_code == 204
    assert (await api.client.get(f"{RG}/api")).status_code == 404
    assert (await api.client.delete(f"{RG}/api")).status_code == 404


async def test_invalid_promql_is_a_problem_naming_the_field(api: Api) -> None:
    bad = {"name": "bad", "rules": [{"alert": "A", "expr": "sum(rate(x[5m])"}, {"record": "not valid", "expr": "up"}]}
    resp = await api.client.post(RG, json=bad)
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert [e["field"] for e in body["errors"]] == ["rules[0].expr", "rules[1].record"]
    assert 'group "bad", rule 1, "A": could not parse expression' in body["errors"][0]["message"]
    assert (await api.client.get(RG)).json()["data"] == []


async def test_the_url_and_the_body_must_name_the_same_group(api: Api) -> None:
    resp = await api.client.put(f"{RG}/one", json={"name": "other", "rules": []})
    assert resp.status_code == 422 and resp.json()["field"] == "name"


async def test_viewers_read_and_admins_change(api: Api) -> None:
    headers = await viewer(api)
    assert (await api.client.post(RG, json=GROUP, headers=headers)).status_code == 403
    assert (await api.client.post(f"{RG}/import", content=FILE, headers=headers)).status_code == 403
    await api.client.post(RG, json=GROUP)
    assert (await api.client.get(RG, headers=headers)).status_code == 200
    assert (await api.client.delete(f"{RG}/api", headers=headers)).status_code == 403


async def test_import_a_rule_file_and_export_it_back(api: Api) -> None:
    resp = await api.client.post(f"{RG}/import?source=node.rules.yml", content=FILE,
                                 headers={"Content-Type": "application/yaml"})
    assert resp.status_code == 201, resp.text
    assert [(g["name"], g["source"]) for g in resp.json()["data"]] == [("node", "node.rules.yml"),
                                                                          ("recording", "node.rules.yml")]
    exported = await api.client.get(RG, params={"format": "yaml"})
    assert exported.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(exported.text) == yaml.safe_load(FILE)
    one = await api.client.get(f"{RG}/recording", params={"format": "yaml"})
    assert [g["name"] for g in yaml.safe_load(one.text)["groups"]] == ["recording"]


async def test_an_import_with_any_problem_stores_nothing(api: Api) -> None:
    text = FILE + """- name: broken
  rules:
  - alert: Broken
    expr: up{
"""
    resp = await api.client.post(f"{RG}/import", content=text)
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "groups[2].rules[0].expr"
    assert 'group "broken", rule 1, "Broken"' in resp.json()["errors"][0]["message"]
    assert (await api.client.get(RG)).json()["data"] == []
    not_yaml = await api.client.post(f"{RG}/import", content="groups: [unclosed")
    assert not_yaml.status_code == 422 and not_yaml.json()["field"] == "body"


async def test_prometheus_rules_lists_groups_and_streaming_rules(api: Api) -> None:
    await api.client.post(RG, json=GROUP)
    streaming = ThresholdRule(id="rule-cpu", tenant="default", name="HostCPUHigh", selector='cpu{cpu="total"}',
                              for_ms=120_000, aggregation="avg", window_ms=60_000, comparison=Comparison.GT, threshold=0.9)
    await api.container.alerts().add_rule(streaming)
    body = (await api.client.get("/prometheus/api/v1/rules")).json()
    assert body["status"] == "success"
    group, stream = body["data"]["groups"]
    assert (group["name"], group["file"], group["interval"], group["lastEvaluation"]) == (
        "api", "observer-eye", 30.0, "0001-01-01T00:00:00Z")
    record, alert = group["rules"]
    assert record == {"name": "job:up:sum", "query": "sum by (job) (up)", "health": "unknown", "evaluationTime": 0.0,
                      "lastEvaluation": "0001-01-01T00:00:00Z", "type": "recording"}
    assert (alert["type"], alert["state"], alert["duration"], alert["keepFiringFor"], alert["alerts"]) == (
        "alerting", "inactive", 300.0, 60.0, [])
    assert stream["name"] == "observer-eye streaming rules"
    assert stream["rules"][0]["query"] == 'avg_over_time(cpu{cpu="total"}[60s]) > 0.9'
    only_records = (await api.client.get("/prometheus/api/v1/rules", params={"type": "record"})).json()
    assert [r["type"] for g in only_records["data"]["groups"] for r in g["rules"]] == ["recording"]
    bad = await api.client.get("/prometheus/api/v1/rules", params={"type": "nope"})
    assert bad.status_code == 400 and bad.json()["errorType"] == "bad_data"


async def test_prometheus_rules_and_alerts_after_an_evaluation(api: Api) -> None:
    await api.client.post(RG, json={"name": "g", "rules": [
        {"alert": "Always", "expr": "vector(0.25)", "labels": {"severity": "info"},
         "annotations": {"value": "{{ $value }}"}}]})
    manager = api.container.rule_manager()
    await manager.refresh()
    group = next(iter(manager.groups.values())).group
    await manager.evaluate(group, NOW_MS)
    rules = (await api.client.get("/prometheus/api/v1/rules")).json()["data"]["groups"][0]
    (rule,) = rules["rules"]
    assert rule["health"] == "ok" and rule["state"] == "firing"
    assert rules["lastEvaluation"] == "2027-01-15T08:00:00Z"
    (alert,) = rule["alerts"]
    assert alert == {"labels": {"alertname": "Always", "severity": "info"}, "annotations": {"value": "0.25"},
                     "state": "firing", "activeAt": "2027-01-15T08:00:00Z", "value": "2.5e-01"}
    alerts = (await api.client.get("/prometheus/api/v1/alerts")).json()
    assert alerts == {"status": "success", "data": {"alerts": [alert]}}


async def test_group_changes_make_the_rule_manager_refresh_at_once(api: Api) -> None:
    import asyncio

    manager = api.container.rule_manager()  # registers itself with the process's ConfigWatcher
    await manager.refresh()
    assert manager._refreshed_ms is not None
    stop = asyncio.Event()
    watcher = asyncio.create_task(api.container.config_watcher().run(stop))
    await asyncio.sleep(0)
    assert (await api.client.post(RG, json=GROUP)).status_code == 201
    for _ in range(100):
        if manager._refreshed_ms is None:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await watcher
    assert manager._refreshed_ms is None  # the next turn of its loop reads the groups again
