"""The browser's sign-in flow through a real HTTP client (httpx keeps the cookies):
sign in, call the API, CSRF enforced, the second factor, lockout, sign out."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pyotp
import pytest

from adapters.memory.clock import FakeClock
from entrypoints.container import build_container
from entrypoints.runtime import build_app
from entrypoints.settings import Settings
from domain.identity import AuditQuery
from services.identity import Actor
from tests.unit.http.conftest import NOW_MS

PASSWORD = "a responder's passphrase"


@pytest.fixture
async def browser(tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    container = build_container(Settings(data_dir=tmp_path, agent=False))
    container.clock.override(FakeClock(NOW_MS))
    await container.tenants().bootstrap_tenant("default")
    await container.accounts().create_user("default", Actor.system(), username="ada", email="ada@example.com",
                                           name="Ada", role="responder", password=PASSWORD)
    app = build_app(container, with_agent=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://oe.test") as client:
        client.container = container  # type: ignore[attr-defined]
        yield client


def csrf(client: httpx.AsyncClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies["oe_csrf"]}


async def test_sign_in_call_the_api_csrf_sign_out_and_the_session_is_refused_after(browser):
    assert (await browser.get("/api/v1/auth/me")).status_code == 401
    wrong = await browser.post("/api/v1/auth/login", json={"username": "ada", "password": "not the password"})
    nobody = await browser.post("/api/v1/auth/login", json={"username": "nobody", "password": "not the password"})
    assert wrong.status_code == nobody.status_code == 401 and wrong.json()["detail"] == nobody.json()["detail"]
    assert wrong.headers["content-type"] == "application/problem+json"

    login = await browser.post("/api/v1/auth/login", json={"username": "Ada", "password": PASSWORD, "totp": None})
    assert login.status_code == 200, login.text
    me = login.json()["data"]
    assert (me["username"], me["role"], me["auth"], me["tenant"], me["mfa_enabled"]) == (
        "ada", "responder", "local", "default", False)
    assert "incidents:act" in me["permissions"] and "rules:manage" not in me["permissions"]
    cookies = {c.split("=", 1)[0]: c.lower() for c in login.headers.get_list("set-cookie")}
    assert "httponly" in cookies["oe_session"] and "samesite=lax" in cookies["oe_session"] and "path=/" in cookies["oe_session"]
    assert "httponly" not in cookies["oe_csrf"] and "samesite=lax" in cookies["oe_csrf"]
    assert "secure" not in cookies["oe_session"]  # plain HTTP and not configured

    assert (await browser.get("/api/v1/auth/me")).json()["data"]["username"] == "ada"
    assert (await browser.get("/api/v1/incidents")).status_code == 200

    refused = await browser.post("/api/v1/incidents/nope/acknowledge")
    assert refused.status_code == 403 and "CSRF token is missing or wrong" in refused.json()["detail"]
    wrong_token = await browser.post("/api/v1/incidents/nope/acknowledge", headers={"X-CSRF-Token": "forged"})
    assert wrong_token.status_code == 403
    assert (await browser.post("/api/v1/incidents/nope/acknowledge", headers=csrf(browser))).status_code == 404
    rule = {"name": "x", "selector": "up", "aggregation": "avg", "window": "1m", "op": ">", "threshold": 1}
    assert (await browser.post("/api/v1/rules", json=rule, headers=csrf(browser))).status_code == 403  # a responder

    session_cookie = browser.cookies["oe_session"]
    out = await browser.post("/api/v1/auth/logout", headers=csrf(browser))
    assert out.status_code == 204 and "oe_session" not in browser.cookies
    replay = await browser.get("/api/v1/auth/me", headers={"Cookie": f"oe_session={session_cookie}"})
    assert replay.status_code == 401 and replay.headers["www-authenticate"].startswith("Bearer")


async def test_an_api_key_needs_no_csrf_token_and_the_cookie_is_not_needed_with_it(browser):
    _, key = await browser.container.api_keys().create_api_key("default", "ci", ["responder"])
    resp = await browser.post("/api/v1/incidents/nope/acknowledge", headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 404  # authorized, no such incident
    me = (await browser.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {key}"})).json()["data"]
    assert (me["auth"], me["role"], me["username"]) == ("api_key", "responder", "ci")


async def test_the_second_factor_through_the_api(browser):
    await browser.post("/api/v1/auth/login", json={"username": "ada", "password": PASSWORD})
    started = (await browser.post("/api/v1/auth/me/totp", headers=csrf(browser))).json()["data"]
    assert started["otpauth_uri"].startswith("otpauth://totp/") and started["secret"]
    clock = browser.container.clock()
    code = pyotp.TOTP(started["secret"]).at(clock.now_ms() // 1000)
    bad = await browser.post("/api/v1/auth/me/totp/confirm", json={"code": "000000"}, headers=csrf(browser))
    assert bad.status_code == 422 and bad.json()["field"] == "code"
    confirmed = await browser.post("/api/v1/auth/me/totp/confirm", json={"code": code}, headers=csrf(browser))
    assert confirmed.json()["data"]["mfa_enabled"] is True
    await browser.post("/api/v1/auth/logout", headers=csrf(browser))

    needs = await browser.post("/api/v1/auth/login", json={"username": "ada", "password": PASSWORD})
    assert needs.status_code == 401 and needs.json()["mfa_required"] is True and needs.json()["field"] == "totp"
    clock.advance(30_000)
    code = pyotp.TOTP(started["secret"]).at(clock.now_ms() // 1000)
    ok = await browser.post("/api/v1/auth/login", json={"username": "ada", "password": PASSWORD, "totp": code})
    assert ok.status_code == 200 and ok.json()["data"]["mfa_enabled"] is True
    clock.advance(30_000)
    code = pyotp.TOTP(started["secret"]).at(clock.now_ms() // 1000)
    gone = await browser.request("DELETE", "/api/v1/auth/me/totp", json={"code": code}, headers=csrf(browser))
    assert gone.status_code == 204


async def test_repeated_failures_answer_429_naming_the_limit(browser):
    for _ in range(4):
        assert (await browser.post("/api/v1/auth/login", json={"username": "ada", "password": "guess guess"})).status_code == 401
    locked = await browser.post("/api/v1/auth/login", json={"username": "ada", "password": "guess guess"})
    assert locked.status_code == 429 and locked.json()["limit"] == "login_failures"
    assert locked.headers["retry-after"] == "900"
    assert (await browser.post("/api/v1/auth/login", json={"username": "ada", "password": PASSWORD})).status_code == 429


async def test_profile_and_password_changes(browser):
    await browser.post("/api/v1/auth/login", json={"username": "ada", "password": PASSWORD})
    patched = await browser.patch("/api/v1/auth/me", headers=csrf(browser), json={
        "name": "Ada Lovelace", "timezone": "Europe/London", "contacts": [{"kind": "slack", "address": "@ada"}]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["contacts"] == [{"kind": "slack", "address": "@ada"}]
    bad = await browser.patch("/api/v1/auth/me", headers=csrf(browser), json={"contacts": [{"kind": "fax", "address": "1"}]})
    assert bad.status_code == 422 and bad.json()["field"].startswith("contacts")
    changed = await browser.post("/api/v1/auth/me/password", headers=csrf(browser),
                                 json={"current_password": PASSWORD, "new_password": "an even longer passphrase"})
    assert changed.status_code == 204
    await browser.post("/api/v1/auth/logout", headers=csrf(browser))
    assert (await browser.post("/api/v1/auth/login", json={"username": "ada", "password": PASSWORD})).status_code == 401


async def test_an_invited_user_sets_a_password_and_is_signed_in(browser):
    _, key = await browser.container.api_keys().create_api_key("default", "admin", ["admin"])
    admin = {"Authorization": f"Bearer {key}"}
    invited = await browser.post("/api/v1/users", headers=admin, json={
        "username": "bob", "email": "bob@example.com", "name": "Bob", "role": "viewer"})
    assert invited.status_code == 201, invited.text
    token = invited.json()["data"]["invitation"]["token"]
    assert invited.json()["data"]["user"]["status"] == "invited"
    weak = await browser.post("/api/v1/auth/set-password", json={"token": token, "password": "short"})
    assert weak.status_code == 422 and weak.json()["field"] == "password"
    done = await browser.post("/api/v1/auth/set-password", json={"token": token, "password": "bob's new passphrase"})
    assert done.status_code == 200 and done.json()["data"]["username"] == "bob"
    assert (await browser.get("/api/v1/auth/me")).json()["data"]["role"] == "viewer"


async def test_signing_in_again_over_a_live_session_needs_no_csrf_token(browser):
    await browser.post("/api/v1/auth/login", json={"username": "ada", "password": PASSWORD})
    first = browser.cookies["oe_session"]
    again = await browser.post("/api/v1/auth/login", json={"username": "ada", "password": PASSWORD})
    assert again.status_code == 200 and browser.cookies["oe_session"] != first
    entries = await browser.container.audit().query(AuditQuery("default"))
    assert [e.action for e in entries].count("auth.login") == 2 and not [e for e in entries if e.action == "http.post"]
