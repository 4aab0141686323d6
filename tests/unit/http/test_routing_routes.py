"""The routing routes over HTTP: ETags and versioned writes (428, 409 naming
current_version), paging and filters, problems naming the field, secrets never
returned, the Alertmanager YAML round trip, the receiver test through the delivery audit."""

from __future__ import annotations

import yaml

from tests.unit.http.conftest import problem

HOOK = {"name": "hook", "webhook_configs": [{"url": "https://hooks.example.com/T0/very-secret", "secret": "hmac-key"}]}


async def test_the_tree_is_seeded_and_replaced_with_its_version(api) -> None:
    got = await api.client.get("/api/v1/routing/tree")
    assert got.status_code == 200 and got.headers["etag"] == '"1"'
    assert got.json()["data"]["route"] == {"receiver": "default", "group_by": ["alertname"]}
    problem(await api.client.put("/api/v1/routing/tree", json={"route": {"receiver": "default"}}), 428)
    new_route = {"receiver": "default", "group_by": ["service"], "routes": [{"matchers": ['team="db"'], "receiver": "default"}]}
    put = await api.client.put("/api/v1/routing/tree", json={"route": new_route}, headers={"If-Match": '"1"'})
    assert put.status_code == 200 and put.headers["etag"] == '"2"'
    stale = problem(await api.client.put("/api/v1/routing/tree", json={"route": new_route, "version": 1}), 409)
    assert stale["current_version"] == 2
    problem(await api.client.put("/api/v1/routing/tree", json={"route": {"receiver": "nobody"}, "version": 2}), 422)
    problem(await api.client.put("/api/v1/routing/tree", json={"route": {"receiver": "default", "group_wait": "soon"},
                                                                "version": 2}), 422, "route.group_wait")


async def test_receivers_never_show_their_secrets_and_keep_them_on_update(api) -> None:
    created = await api.client.post("/api/v1/receivers", json=HOOK)
    assert created.status_code == 201, created.text
    assert "very-secret" not in created.text and "hmac-key" not in created.text
    data = created.json()["data"]
    assert data["has_secret"] is True and data["webhook_configs"][0]["url"] == "<redacted>" and data["version"] == 1
    updated = await api.client.put("/api/v1/receivers/hook", json={"webhook_configs": [{"max_alerts": 5}], "version": 1})
    assert updated.status_code == 200, updated.text
    cfg = await api.container.alerting_configs().for_tenant("default")
    settings = cfg.channel("hook", "webhook-0").settings
    assert settings["url"] == "https://hooks.example.com/T0/very-secret" and settings["secret"] == "hmac-key"
    assert settings["max_alerts"] == 5
    audit = await api.client.get("/api/v1/audit", params={"action": "routing.receiver.update"})
    assert audit.status_code == 200 and "routing.receiver.update" in audit.text and "very-secret" not in audit.text
    problem(await api.client.post("/api/v1/receivers", json={"name": "x", "slack_configs": [{"url": "nope"}]}), 422,
            "slack_configs[0].url")
    problem(await api.client.post("/api/v1/receivers", json=HOOK), 409)
    problem(await api.client.delete("/api/v1/receivers/hook"), 428)
    problem(await api.client.delete("/api/v1/receivers/hook", params={"version": 1}), 409)
    assert (await api.client.delete("/api/v1/receivers/hook", params={"version": 2})).status_code == 204
    problem(await api.client.get("/api/v1/receivers/hook"), 404)


async def test_lists_page_and_filter(api) -> None:
    for i in range(3):
        await api.client.post("/api/v1/receivers", json={"name": f"team-{i}", "slack_configs": [
            {"url": f"https://hooks.slack.com/services/{i}"}]})
    first = (await api.client.get("/api/v1/receivers", params={"limit": 2})).json()
    assert [r["name"] for r in first["data"]] == ["default", "team-0"] and first["next_cursor"]
    rest = (await api.client.get("/api/v1/receivers", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [r["name"] for r in rest["data"]] == ["team-1", "team-2"] and rest["next_cursor"] is None
    slack = (await api.client.get("/api/v1/receivers", params={"type": "slack", "q": "2"})).json()
    assert [r["name"] for r in slack["data"]] == ["team-2"]


async def test_inhibit_rules_and_time_intervals_are_resources_too(api) -> None:
    rule = {"name": "crit-mutes-warn", "source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
            "equal": ["alertname"]}
    assert (await api.client.post("/api/v1/inhibit-rules", json=rule)).status_code == 201
    problem(await api.client.post("/api/v1/inhibit-rules", json={**rule, "name": "bad", "equal": ["not a label"]}), 422)
    interval = {"name": "weekends", "time_intervals": [{"weekdays": ["saturday:sunday"], "location": "Europe/Berlin"}]}
    assert (await api.client.post("/api/v1/time-intervals", json=interval)).status_code == 201
    problem(await api.client.post("/api/v1/time-intervals", json={**interval, "name": "x", "time_intervals": [
        {"location": "Mars/Olympus"}]}), 422, "time_intervals[0].location")
    tree = {"receiver": "default", "routes": [{"receiver": "default", "matchers": ['team="db"'],
                                               "mute_time_intervals": ["weekends"]}]}
    assert (await api.client.put("/api/v1/routing/tree", json={"route": tree, "version": 1})).status_code == 200
    problem(await api.client.delete("/api/v1/time-intervals/weekends", params={"version": 1}), 422)
    listed = (await api.client.get("/api/v1/time-intervals")).json()["data"]
    assert listed[0]["name"] == "weekends" and listed[0]["version"] == 1


async def test_the_alertmanager_yaml_round_trips_without_its_secrets(api) -> None:
    await api.client.post("/api/v1/receivers", json=HOOK)
    exported = await api.client.get("/api/v1/routing/alertmanager")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("application/yaml")
    assert "very-secret" not in exported.text
    revision = int(exported.headers["etag"].strip('"'))
    doc = yaml.safe_load(exported.text)
    doc["route"]["routes"] = [{"receiver": "hook", "matchers": ['severity="critical"']}]
    problem(await api.client.put("/api/v1/routing/alertmanager", content=yaml.safe_dump(doc)), 428)
    put = await api.client.put("/api/v1/routing/alertmanager", content=yaml.safe_dump(doc), params={"version": revision})
    assert put.status_code == 200, put.text
    assert put.json()["data"] == {"revision": revision + 1, "dropped": []}
    cfg = await api.container.alerting_configs().for_tenant("default")
    assert cfg.channel("hook", "webhook-0").settings["url"] == "https://hooks.example.com/T0/very-secret"
    doc["templates"] = ["/etc/alertmanager/*.tmpl"]
    doc["receivers"].append({"name": "ops", "opsgenie_configs": [{"api_key": "x"}]})
    refused = problem(await api.client.put("/api/v1/routing/alertmanager", content=yaml.safe_dump(doc),
                                           params={"version": revision + 1}), 422)
    assert "templates" in str(refused) and "opsgenie_configs" in str(refused)
    dropped = await api.client.put("/api/v1/routing/alertmanager", content=yaml.safe_dump(doc),
                                   params={"version": revision + 1, "drop_unsupported": "true"})
    assert dropped.status_code == 200 and sorted(dropped.json()["data"]["dropped"]) == [
        "receivers[2].opsgenie_configs", "templates"]
    problem(await api.client.put("/api/v1/routing/alertmanager", content="route: [", params={"version": revision + 2}),
            422, "body")


async def test_a_receiver_test_goes_through_the_delivery_audit(api) -> None:
    sent = await api.client.post("/api/v1/receivers/default/test")
    assert sent.status_code == 202, sent.text
    [delivery] = sent.json()["data"]
    assert delivery["type"] == "log"
    audit = await api.client.get(delivery["delivery"])
    assert audit.status_code == 200 and audit.json()["data"]["receiver"] == "default"
    problem(await api.client.post("/api/v1/receivers/nobody/test"), 404)
