"""/api/v1/dashboards: versioned CRUD with audit, paging, export and import (a POST of
the exported file), problems naming the field (an expression that does not parse
included), and who may write."""

from __future__ import annotations

from tests.unit.http.conftest import Api, problem

D = "/api/v1/dashboards"
PANEL = {"title": "CPU", "queries": ['max by (host) (system_cpu_utilization_ratio{cpu="total"})'], "chart": "area",
         "range": {"from": "now-6h", "to": "now", "timezone": "Europe/Berlin"}, "step": "1m"}


def definition(**fields) -> dict:
    return {"title": "Hosts", "description": "the fleet", "panels": [PANEL], **fields}


async def test_create_read_replace_delete_with_versions_and_audit(api: Api):
    resp = await api.client.post(D, json=definition(id="hosts"))
    assert resp.status_code == 201, resp.text
    made = resp.json()["data"]
    assert resp.headers["ETag"] == '"1"' and made["id"] == "hosts" and made["panels"] == [PANEL]
    assert made["schema"] == "observer-eye.dashboard/v1" and made["created_by"].startswith("api_key:")
    problem(await api.client.post(D, json=definition(id="hosts")), 409)
    got = await api.client.get(f"{D}/hosts")
    assert got.headers["ETag"] == '"1"' and got.json()["data"] == made

    problem(await api.client.put(f"{D}/hosts", json=definition(title="Fleet")), 428)
    resp = await api.client.put(f"{D}/hosts", json=definition(title="Fleet", panels=[PANEL, {**PANEL, "chart": "table"}]),
                                headers={"If-Match": '"1"'})
    assert resp.status_code == 200, resp.text
    assert resp.json()["data"]["version"] == 2 and len(resp.json()["data"]["panels"]) == 2
    assert resp.json()["data"]["created_at_ms"] == made["created_at_ms"]
    assert problem(await api.client.put(f"{D}/hosts", json=definition(version=1)), 409)["current_version"] == 2
    problem(await api.client.delete(f"{D}/hosts"), 428)
    assert problem(await api.client.delete(f"{D}/hosts", params={"version": 1}), 409)["current_version"] == 2
    assert (await api.client.delete(f"{D}/hosts", params={"version": 2})).status_code == 204
    problem(await api.client.get(f"{D}/hosts"), 404)
    entries = (await api.client.get("/api/v1/audit", params={"target": "dashboard:hosts"})).json()["data"]
    assert sorted(e["action"] for e in entries) == ["dashboard.create", "dashboard.delete", "dashboard.update"]
    update = next(e for e in entries if e["action"] == "dashboard.update")
    assert update["before"]["title"] == "Hosts" and update["after"]["title"] == "Fleet"


async def test_export_then_import_as_a_copy(api: Api):
    made = (await api.client.post(D, json=definition())).json()["data"]
    exported = await api.client.get(f"{D}/{made['id']}/export")
    assert exported.status_code == 200
    assert exported.headers["content-disposition"] == 'attachment; filename="Hosts.dashboard.json"'
    doc = exported.json()
    assert doc == {"schema": "observer-eye.dashboard/v1", "title": "Hosts", "description": "the fleet", "panels": [PANEL]}
    copy = await api.client.post(D, json={**doc, "title": "Hosts (copy)"})
    assert copy.status_code == 201, copy.text
    assert copy.json()["data"]["id"] != made["id"] and copy.json()["data"]["panels"] == [PANEL]


async def test_list_by_title_with_paging_and_filter(api: Api):
    for title in ("b hosts", "A network", "c hosts"):
        assert (await api.client.post(D, json=definition(title=title))).status_code == 201
    first = (await api.client.get(D, params={"limit": 2})).json()
    assert [d["title"] for d in first["data"]] == ["A network", "b hosts"] and first["data"][0]["panels"] == 1
    rest = (await api.client.get(D, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [d["title"] for d in rest["data"]] == ["c hosts"] and rest["next_cursor"] is None
    assert [d["title"] for d in (await api.client.get(D, params={"q": "HOSTS"})).json()["data"]] == ["b hosts", "c hosts"]


async def test_problems_name_the_field(api: Api):
    cases = [
        ({"panels": []}, "title"),
        (definition(title="  "), "title"),
        (definition(schema="grafana/v9"), "schema"),
        (definition(colour="red"), "colour"),
        (definition(panels=[{**PANEL, "queries": []}]), "panels[0].queries"),
        (definition(panels=[PANEL, {**PANEL, "queries": ["up", "rate(up[5m]"]}]), "panels[1].queries[1]"),
        (definition(panels=[{**PANEL, "chart": "pie"}]), "panels[0].chart"),
        (definition(panels=[{**PANEL, "range": {"from": "yesterday", "to": "now"}}]), "panels[0].range.from"),
        (definition(panels=[{**PANEL, "range": {"from": "200", "to": "100"}}]), "panels[0].range.from"),
        (definition(panels=[{**PANEL, "step": "soon"}]), "panels[0].step"),
        (definition(panels=[{**PANEL, "width": 3}]), "panels[0].width"),
        (definition(id="no spaces"), "id"),
    ]
    for body, field in cases:
        problem(await api.client.post(D, json=body), 422, field)
    too_many = problem(await api.client.post(D, json=definition(panels=[PANEL] * 51)), 422, "panels")
    assert too_many["limit"] == "max_panels"
    assert (await api.client.get(D)).json()["data"] == []  # nothing was stored


async def test_viewers_read_responders_write(api: Api):
    made = (await api.client.post(D, json=definition())).json()["data"]
    _, read_key = await api.container.api_keys().create_api_key("default", "viewer", ["read"])
    _, responder_key = await api.container.api_keys().create_api_key("default", "responder", ["responder"])
    as_viewer = {"Authorization": f"Bearer {read_key}"}
    assert (await api.client.get(f"{D}/{made['id']}", headers=as_viewer)).status_code == 200
    problem(await api.client.post(D, json=definition(), headers=as_viewer), 403)
    as_responder = {"Authorization": f"Bearer {responder_key}"}
    assert (await api.client.post(D, json=definition(), headers=as_responder)).status_code == 201
