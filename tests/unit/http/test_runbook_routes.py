"""The runbook catalogue's routes: admins write (validated whole, against the tenant's
remediation policy, with optimistic concurrency), readers read, tenants never see each
other's runbooks, and remediations run catalogue runbooks by id only."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from entrypoints.container import build_container
from entrypoints.runtime import build_app
from entrypoints.settings import Settings
from tests.unit.http.conftest import problem

RESTART = {"id": "restart-web", "name": "Restart web", "steps": [
    {"id": "restart", "kind": "restart", "params": {"namespace": "prod", "deployment": "web"},
     "approval": {"timeout_ms": 600_000, "roles": ["admin"]}}]}


class Clients:
    def __init__(self, app, keys: dict[str, str]) -> None:
        transport = httpx.ASGITransport(app=app)
        self.by = {who: httpx.AsyncClient(transport=transport, base_url="http://test",
                                          headers={"Authorization": f"Bearer {key}"}) for who, key in keys.items()}

    def __getattr__(self, who: str) -> httpx.AsyncClient:
        return self.by[who]


@pytest.fixture
async def clients(tmp_path) -> AsyncIterator[Clients]:
    settings = Settings(data_dir=tmp_path, agent=False, remediation_namespaces={"default": ["prod"], "other": ["prod"]},
                        remediation_tasks=["cache.flush"])
    container = build_container(settings)
    for tenant in ("default", "other"):
        await container.tenants().bootstrap_tenant(tenant)
    keys = {}
    for who, tenant, scopes in [("admin", "default", ["admin"]), ("reader", "default", ["read"]),
                                ("other", "other", ["admin"])]:
        _, keys[who] = await container.api_keys().create_api_key(tenant, who, scopes)
    c = Clients(build_app(container, with_agent=False), keys)
    yield c
    for client in c.by.values():
        await client.aclose()



async def test_create_read_update_list_delete(clients) -> None:
    created = await clients.admin.post("/api/v1/runbooks", json=RESTART)
    assert created.status_code == 201 and created.headers["etag"] == '"1"'
    assert created.json()["data"] | {"updated_at_ms": 0} == {
        "id": "restart-web", "name": "Restart web", "version": 1, "steps": RESTART["steps"],
        "updated_by": created.json()["data"]["updated_by"], "updated_at_ms": 0}
    assert (await clients.reader.get("/api/v1/runbooks/restart-web")).json()["data"]["version"] == 1

    changed = {"version": 1, "name": "Restart web gently", "steps": RESTART["steps"]}
    updated = await clients.admin.put("/api/v1/runbooks/restart-web", json=changed)
    assert updated.status_code == 200 and updated.json()["data"]["version"] == 2 and updated.headers["etag"] == '"2"'
    stale = await clients.admin.put("/api/v1/runbooks/restart-web", json=changed)
    assert "version 2" in problem(stale, 409)["detail"]

    assert [r["id"] for r in (await clients.reader.get("/api/v1/runbooks")).json()["data"]] == ["restart-web"]
    problem(await clients.admin.delete("/api/v1/runbooks/restart-web", params={"version": 1}), 409)
    assert (await clients.admin.delete("/api/v1/runbooks/restart-web", params={"version": 2})).status_code == 204
    problem(await clients.reader.get("/api/v1/runbooks/restart-web"), 404)
    problem(await clients.admin.delete("/api/v1/runbooks/restart-web", params={"version": 2}), 404)


async def test_every_write_keeps_a_version_and_is_audited(clients) -> None:
    assert (await clients.admin.post("/api/v1/runbooks", json=RESTART)).status_code == 201
    problem(await clients.admin.put("/api/v1/runbooks/restart-web", json={"steps": RESTART["steps"]}), 428, "version")
    gentle = {"name": "Restart web gently", "steps": RESTART["steps"]}
    updated = await clients.admin.put("/api/v1/runbooks/restart-web", json=gentle, headers={"If-Match": '"1"'})
    assert updated.status_code == 200, updated.text
    assert problem(await clients.admin.put("/api/v1/runbooks/restart-web", json={**gentle, "version": 1}),
                   409)["current_version"] == 2
    versions = (await clients.reader.get("/api/v1/runbooks/restart-web/versions")).json()["data"]
    assert [(v["version"], v["name"]) for v in versions] == [(1, "Restart web"), (2, "Restart web gently")]
    first = await clients.reader.get("/api/v1/runbooks/restart-web/versions/1")
    assert first.json()["data"]["name"] == "Restart web" and first.headers["etag"] == '"1"'
    problem(await clients.reader.get("/api/v1/runbooks/restart-web/versions/3"), 404)
    problem(await clients.reader.get("/api/v1/runbooks/nope/versions"), 404)
    problem(await clients.admin.delete("/api/v1/runbooks/restart-web"), 428)
    entries = (await clients.admin.get("/api/v1/audit", params={"target": "runbook:restart-web"})).json()["data"]
    update = next(e for e in entries if e["action"] == "runbook.update")
    assert (update["before"]["name"], update["after"]["name"]) == ("Restart web", "Restart web gently")
    assert {e["action"] for e in entries} == {"runbook.create", "runbook.update"}


async def test_only_admins_write(clients) -> None:
    problem(await clients.reader.post("/api/v1/runbooks", json=RESTART), 403)
    assert (await clients.admin.post("/api/v1/runbooks", json=RESTART)).status_code == 201
    problem(await clients.reader.put("/api/v1/runbooks/restart-web", json={"version": 1, "steps": []}), 403)
    problem(await clients.reader.delete("/api/v1/runbooks/restart-web"), 403)


async def test_tenants_do_not_see_each_others_runbooks(clients) -> None:
    assert (await clients.admin.post("/api/v1/runbooks", json=RESTART)).status_code == 201
    assert (await clients.other.get("/api/v1/runbooks")).json()["data"] == []
    problem(await clients.other.get("/api/v1/runbooks/restart-web"), 404)
    problem(await clients.other.delete("/api/v1/runbooks/restart-web", params={"version": 1}), 404)
    assert (await clients.other.post("/api/v1/runbooks", json=RESTART)).status_code == 201  # the same id, theirs


@pytest.mark.parametrize("change, field", [
    ({"steps": [{"id": "r", "kind": "restart", "params": {"namespace": "kube-system", "deployment": "dns"}}]},
     "steps[0].params.namespace"),
    ({"steps": [{"id": "r", "kind": "restart", "params": {"namespace": "prod", "deployment": "../../secrets"}}]},
     "steps[0].params.deployment"),
    ({"steps": [{"id": "t", "kind": "task", "params": {"name": "notify.deliver", "payload": {}}}]}, "steps[0].params.name"),
    ({"steps": [{"id": "x", "kind": "shell", "params": {}}]}, "steps[0].kind"),
    ({"steps": []}, "steps"),
    ({"id": "../x"}, "id"),
])
async def test_a_bad_runbook_is_refused_naming_the_field(clients, change: dict, field: str) -> None:
    problem(await clients.admin.post("/api/v1/runbooks", json=RESTART | change), 422, field)
    assert (await clients.admin.get("/api/v1/runbooks")).json()["data"] == []


async def test_an_allowed_task_step_is_accepted(clients) -> None:
    flush = {"id": "flush", "steps": [{"id": "t", "kind": "task", "params": {"name": "cache.flush"}}]}
    assert (await clients.admin.post("/api/v1/runbooks", json=flush)).status_code == 201


async def test_a_remediation_takes_a_runbook_id_never_a_runbook(clients) -> None:
    resp = await clients.admin.post("/api/v1/incidents/inc-1/remediations", json={"runbook": RESTART})
    body = problem(resp, 422)
    assert {e["field"] for e in body["errors"]} >= {"runbook", "runbook_id"}
