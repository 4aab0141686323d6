"""The identity routes over HTTP: identity providers (a test double of the
IdentityProvider protocol), users, teams, API keys, tenants, the audit log."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from dependency_injector import providers

from tests.support.clock import FakeClock
from domain.errors import AuthenticationFailed
from domain.identity import ExternalIdentity, SignInPolicy
from entrypoints.container import build_container
from entrypoints.runtime import build_app
from entrypoints.settings import Settings
from ports.identity_providers import LoginStart
from services.identity import Actor
from tests.unit.http.conftest import NOW_MS


class FakeProvider:
    """Implements ports.identity_providers.IdentityProvider: ``code=<groups>`` signs in Ada."""

    id, name, kind = "kc", "Keycloak", "oidc"

    def __init__(self) -> None:
        self.redirect_uris: list[str] = []

    async def start(self, redirect_uri: str) -> LoginStart:
        self.redirect_uris.append(redirect_uri)
        state = f"st{len(self.redirect_uris)}"
        return LoginStart(f"https://kc.example.com/auth?state={state}", state, {"pkce": "verifier"})

    async def finish(self, flow, callback) -> ExternalIdentity:
        if flow != {"pkce": "verifier"} or not callback.get("code"):
            raise AuthenticationFailed("the provider did not accept the code")
        return ExternalIdentity("kc", "https://kc.example.com", "sub-ada", email="ada@example.com", email_verified=True,
                                name="Ada", username="ada", groups=tuple(callback["code"].split(",")), amr=("otp",))


@pytest.fixture
async def site(tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(data_dir=tmp_path, agent=False, public_url="https://oe.example.com")
    container = build_container(settings)
    container.clock.override(FakeClock(NOW_MS))
    provider = FakeProvider()
    container.identity_providers.override(providers.Object({"kc": provider}))
    container.sign_in_policies.override(providers.Object({
        "kc": SignInPolicy("kc", "default", role_from_groups={"oe-admins": "admin"}, default_role="viewer")}))
    await container.tenants().bootstrap_tenant("default")
    admin = await container.accounts().create_user("default", Actor.system(), username="root", email="root@example.com",
                                                   name="Root", role="admin", password="the root password",
                                                   platform_admin=True)
    app = build_app(container, with_agent=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://oe.test") as client:
        client.container, client.provider, client.admin = container, provider, admin  # type: ignore[attr-defined]
        yield client


async def sign_in_root(site) -> dict[str, str]:
    resp = await site.post("/api/v1/auth/login", json={"username": "root", "password": "the root password"})
    assert resp.status_code == 200
    return {"X-CSRF-Token": site.cookies["oe_csrf"]}


async def test_providers_are_listed_for_the_sign_in_page(site):
    body = (await site.get("/api/v1/auth/providers")).json()
    assert body == {"data": {"local": True, "providers": [
        {"id": "kc", "name": "Keycloak", "kind": "oidc", "login_url": "/api/v1/auth/oidc/kc/login"}]}}


async def test_a_provider_open_to_nobody_is_not_offered(tmp_path):
    container = build_container(Settings(data_dir=tmp_path, agent=False))
    container.identity_providers.override(providers.Object({"kc": FakeProvider()}))
    container.sign_in_policies.override(providers.Object({"kc": SignInPolicy("kc", "default")}))
    app = build_app(container, with_agent=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://oe") as client:
        body = (await client.get("/api/v1/auth/providers")).json()
    assert body["data"]["providers"] == []


async def test_the_code_flow_signs_in_with_the_role_of_the_group_claim(site):
    start = await site.get("/api/v1/auth/oidc/kc/login", params={"next": "/incidents?open=1"})
    assert start.status_code == 302 and start.headers["location"].startswith("https://kc.example.com/auth")
    assert site.provider.redirect_uris == ["https://oe.example.com/api/v1/auth/oidc/kc/callback"]
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    back = await site.get("/api/v1/auth/oidc/kc/callback", params={"code": "staff,oe-admins", "state": state})
    assert back.status_code == 302 and back.headers["location"] == "/incidents?open=1"
    me = (await site.get("/api/v1/auth/me")).json()["data"]
    assert (me["username"], me["role"], me["auth"]) == ("ada", "admin", "oidc:kc")
    replay = await site.get("/api/v1/auth/oidc/kc/callback", params={"code": "oe-admins", "state": state})
    assert replay.headers["location"].startswith("/login?error=")


@pytest.mark.parametrize("next_path", ["https://evil.example/", "//evil.example/x", "/\\evil", "relative"])
async def test_only_same_site_paths_are_followed_after_sign_in(site, next_path):
    start = await site.get("/api/v1/auth/oidc/kc/login", params={"next": next_path})
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    back = await site.get("/api/v1/auth/oidc/kc/callback", params={"code": "x", "state": state})
    assert back.headers["location"] == "/"


async def test_a_callback_not_started_in_this_browser_is_refused(site):
    start = await site.get("/api/v1/auth/oidc/kc/login")
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    site.cookies.clear()  # the victim's browser: it never started this sign-in
    back = await site.get("/api/v1/auth/oidc/kc/callback", params={"code": "x", "state": state})
    assert back.headers["location"].startswith("/login?error=") and "oe_session" not in site.cookies
    error = await site.get("/api/v1/auth/oidc/kc/callback", params={"error": "access_denied"})
    assert error.headers["location"] == "/login?error=access_denied"
    assert (await site.get("/api/v1/auth/oidc/nope/login")).status_code == 404


async def test_users_teams_and_the_audit_trail_over_http(site):
    csrf = await sign_in_root(site)
    invited = await site.post("/api/v1/users", headers=csrf, json={
        "username": "bob", "email": "bob@example.com", "name": "Bob", "role": "responder"})
    assert invited.status_code == 201
    bob = invited.json()["data"]["user"]
    assert "token" not in json.dumps(bob) and bob["status"] == "invited"
    assert (await site.patch(f"/api/v1/users/{bob['id']}", headers=csrf, json={"role": "admin"})).json()["data"]["role"] == "admin"
    assert (await site.patch(f"/api/v1/users/{bob['id']}", headers=csrf, json={"role": "root"})).status_code == 422
    assert (await site.post(f"/api/v1/users/{bob['id']}/deactivate", headers=csrf)).json()["data"]["status"] == "deactivated"
    assert (await site.post(f"/api/v1/users/{bob['id']}/reactivate", headers=csrf)).json()["data"]["status"] == "invited"
    reset = await site.post(f"/api/v1/users/{bob['id']}/reset-password", headers=csrf)
    assert reset.json()["data"]["invitation"]["token"]
    assert (await site.post(f"/api/v1/users/{bob['id']}/reset-mfa", headers=csrf)).status_code == 200
    last = await site.post(f"/api/v1/users/{site.admin.id}/deactivate", headers=csrf)
    assert last.status_code == 409 and "last active admin" in last.json()["detail"]
    assert [u["username"] for u in (await site.get("/api/v1/users")).json()["data"]] == ["bob", "root"]
    assert (await site.get("/api/v1/users", params={"status": "invited"})).json()["data"][0]["username"] == "bob"

    team = await site.post("/api/v1/teams", headers=csrf, json={"id": "sre", "name": "SRE", "members": [bob["id"]]})
    assert team.status_code == 201 and team.json()["data"]["members"] == [bob["id"]]
    assert (await site.post("/api/v1/teams", headers=csrf, json={"id": "sre", "name": "Again"})).status_code == 409
    assert (await site.patch("/api/v1/teams/sre", headers=csrf, json={"description": "prod"})).json()["data"]["description"] == "prod"
    assert (await site.get("/api/v1/teams/sre")).status_code == 200
    assert (await site.delete("/api/v1/teams/sre", headers=csrf)).status_code == 204
    assert (await site.get("/api/v1/teams/sre")).status_code == 404

    mine = {"action": "user.*", "actor": site.admin.id}
    entries = (await site.get("/api/v1/audit", params={**mine, "limit": 3})).json()
    assert len(entries["data"]) == 3 and entries["next_before"] == entries["data"][-1]["id"]
    assert all(e["remote_addr"] == "127.0.0.1" and e["actor_name"] == "root" for e in entries["data"])
    more = (await site.get("/api/v1/audit", params={**mine, "before": entries["next_before"]})).json()
    assert more["data"] and more["next_before"] is None
    lines = (await site.get("/api/v1/audit/export", params={"action": "team.*"})).text.splitlines()
    # (the fake clock stands still: entries of one millisecond have no order among themselves)
    assert sorted(json.loads(line)["action"] for line in lines) == ["team.create", "team.delete", "team.update"]
    jsonl = await site.get("/api/v1/audit", params={"format": "jsonl"})
    assert jsonl.headers["content-type"].startswith("application/jsonl") and len(jsonl.text.splitlines()) > 5
    assert (await site.get("/api/v1/audit", params={"since": "yesterday"})).json()["field"] == "since"


async def test_changes_outside_identity_are_audited_per_request(site):
    csrf = await sign_in_root(site)
    silence = {"matchers": [{"name": "alertname", "value": "x"}], "startsAt": "2027-01-15T08:00:00Z",
               "endsAt": "2027-01-15T09:00:00Z", "comment": "deploy"}
    created = await site.post("/api/v1/silences", json=silence, headers=csrf)
    assert created.status_code == 201, created.text
    await site.post("/api/v1/incidents/nope/acknowledge", headers=csrf)
    entries = (await site.get("/api/v1/audit", params={"action": "http.post"})).json()["data"]
    assert sorted((e["target"], e["status"]) for e in entries) == [("/api/v1/incidents/nope/acknowledge", 404),
                                                                    ("/api/v1/silences", 201)]
    # Configuration resources write their own entry, with before and after (ADR 0017).
    rule = {"name": "x", "selector": "up", "aggregation": "avg", "window": "1m", "op": ">", "threshold": 1}
    assert (await site.post("/api/v1/rules", json=rule, headers=csrf)).status_code == 201
    [own] = (await site.get("/api/v1/audit", params={"action": "rule.create"})).json()["data"]
    assert own["after"]["name"] == "x"
    assert len((await site.get("/api/v1/audit", params={"action": "http.post"})).json()["data"]) == 2
    _, ingest = await site.container.api_keys().create_api_key("default", "agent", ["ingest"])
    await site.post("/api/v1/ingest", headers={"Authorization": f"Bearer {ingest}"}, json={"series": []})
    assert len((await site.get("/api/v1/audit", params={"action": "http.post"})).json()["data"]) == 2  # telemetry is not


async def test_api_keys_over_http(site):
    csrf = await sign_in_root(site)
    made = await site.post("/api/v1/api-keys", headers=csrf, json={"name": "grafana", "scopes": ["read"]})
    assert made.status_code == 201
    key = made.json()["data"]
    assert key["secret"].startswith("oe_") and key["owner"] == site.admin.id
    assert key["expires_at_ms"] == NOW_MS + 90 * 86_400_000
    listed = (await site.get("/api/v1/api-keys")).text
    assert key["secret"] not in listed and key["prefix"] in listed
    rotated = (await site.post(f"/api/v1/api-keys/{key['id']}/rotate", headers=csrf, json={"grace_s": 0})).json()["data"]
    assert rotated["secret"] != key["secret"]
    assert (await site.get("/api/v1/series", params={"match[]": "up"},
                           headers={"Authorization": f"Bearer {key['secret']}"})).status_code == 401
    assert (await site.delete(f"/api/v1/api-keys/{rotated['id']}", headers=csrf)).json()["data"]["revoked_at_ms"]
    bad = await site.post("/api/v1/api-keys", headers=csrf, json={"name": "x", "scopes": ["root"]})
    assert bad.status_code == 422 and bad.json()["field"].startswith("scopes")
    forever = await site.post("/api/v1/api-keys", headers=csrf, json={"name": "x", "scopes": ["read"], "never_expires": True})
    assert forever.json()["data"]["expires_at_ms"] is None


async def test_tenants_for_platform_administrators(site):
    csrf = await sign_in_root(site)
    made = await site.post("/api/v1/tenants", headers=csrf, json={
        "id": "initech", "name": "Initech", "admin": {"username": "bill", "email": "bill@initech.com", "name": "Bill"}})
    assert made.status_code == 201, made.text
    data = made.json()["data"]
    assert data["tenant"]["status"] == "active" and data["admin"]["invitation"]["token"]
    theirs = {"Authorization": f"Bearer {data['api_key']}"}
    assert (await site.get("/api/v1/users", headers=theirs)).json()["data"][0]["username"] == "bill"
    assert (await site.get("/api/v1/tenants", headers=theirs)).status_code == 403  # a key: never platform
    assert [t["id"] for t in (await site.get("/api/v1/tenants")).json()["data"]] == ["default", "initech"]
    assert (await site.post("/api/v1/tenants/initech/deactivate", headers=csrf)).json()["data"]["status"] == "deactivated"
    assert (await site.get("/api/v1/users", headers=theirs)).status_code == 401
    assert (await site.post("/api/v1/tenants/default/deactivate", headers=csrf)).status_code == 409
    assert (await site.post("/api/v1/tenants/initech/reactivate", headers=csrf)).status_code == 200
    assert (await site.get("/api/v1/users", headers=theirs)).status_code == 200
