"""Signing in through identity providers end to end, through the API: the real server
(uvicorn, configured by OBSERVER_IDENTITY_PROVIDERS like an operator would) on a free
port, a real OpenID provider (oidc-provider-mock) on another, and an HTTP client playing
the browser (cookies kept, redirects followed one by one).

People: /login -> the provider's authorization form -> /callback -> the session; the
role comes from a group claim through the provider's sign-in policy, CSRF guards the
session's writes, sign-out revokes the session on the server. Services: an access token
signed by the issuer's key (the mock has no client-credentials grant) calls the API as
a service account through its entry's policy, until its tenant is deactivated.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest

from tests.support.github_fake import FakeGitHub, GitHubAccount
from tests.support.oidc_provider import OidcProviderMock
from tests.support.pipeline import Api
from tests.support.tansu import free_port
from tests.support.wsgi import serve_wsgi

pytestmark = pytest.mark.integration

AUDIENCE = "observer-eye-api"
PEOPLE = {
    "alice": {"email": "alice@example.com", "email_verified": True, "name": "Alice Example",
              "preferred_username": "alice", "groups": ["staff", "oe-responders"]},
    "eve": {"email": "eve@evil.example", "email_verified": True, "preferred_username": "eve",
            "groups": ["oe-admins"]},
}


@pytest.fixture
def idp() -> Iterator[OidcProviderMock]:
    with OidcProviderMock(PEOPLE) as provider:
        yield provider


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    account = GitHubAccount(id=583231, login="octocat", name="The Octocat",
                            emails=[{"email": "octocat@example.com", "primary": True, "verified": True}],
                            orgs=["acme"], teams=[("acme", "platform")])
    fake = FakeGitHub("Iv1.client", "gh-secret", account)
    with serve_wsgi(fake.app) as url:
        fake.url = url
        yield fake


@pytest.fixture
def api(tmp_path: Path, idp: OidcProviderMock, github: FakeGitHub) -> Iterator[Api]:
    port = free_port()
    secret = tmp_path / "kc-secret"
    secret.write_text("kc-secret\n")
    providers = [
        {"id": "kc", "name": "Keycloak", "issuer": idp.issuer, "client_id": "observer-eye",
         "client_secret_file": str(secret), "allowed_email_domains": ["example.com"],
         "role_from_groups": {"oe-responders": "responder", "oe-admins": "admin"}},
        {"id": "github", "kind": "github", "name": "GitHub", "client_id": "Iv1.client", "client_secret": "gh-secret",
         "web_url": github.url, "api_url": f"{github.url}/api/v3", "allowed_groups": ["acme"],
         "role_from_groups": {"acme/platform": "admin"}},
        # A public provider configured with its client only: who may come in is unsaid.
        {"id": "public", "name": "Anyone", "issuer": idp.issuer, "client_id": "observer-eye",
         "client_secret": "x", "role_from_groups": {"oe-admins": "admin"}},
        {"id": "services", "kind": "jwt", "issuer": idp.issuer, "audience": AUDIENCE, "groups_claim": "roles",
         "tenant": "acme", "allowed_groups": ["observer-responder", "observer-viewer"],
         "role_from_groups": {"observer-responder": "responder", "observer-viewer": "viewer"}},
    ]
    with Api(port=port, public_url=f"http://127.0.0.1:{port}", data_dir=tmp_path / "var", agent=False,
             identity_providers=providers) as running:
        yield running


def sign_in(browser: httpx.Client, api: Api, provider: str, account: str | None, next_path: str = "/") -> httpx.Response:
    """The browser's trip: our login route, the provider's page (submitted as ``account``
    when it shows a form), our callback. Answers the callback's response."""
    login = browser.get(f"{api.url}/api/v1/auth/oidc/{provider}/login", params={"next": next_path})
    assert login.status_code == 302, login.text
    at_provider = login.headers["location"]
    if account is None:  # GitHub's stand-in answers at once
        answer = browser.get(at_provider)
    else:
        assert browser.get(at_provider).status_code == 200  # the sign-in form
        answer = browser.post(at_provider, data={"sub": account})
    assert answer.status_code == 302, answer.text[:500]
    callback = answer.headers["location"]
    assert callback.startswith(f"{api.url}/api/v1/auth/oidc/{provider}/callback?")  # the public URL
    return browser.get(callback)


def refusal(response: httpx.Response) -> str:
    """The message of a redirect to the sign-in page."""
    assert response.status_code == 302 and response.headers["location"].startswith("/login?error=")
    return unquote(response.headers["location"].removeprefix("/login?error="))


def silence() -> dict:
    start = int(time.time())
    return {"matchers": [{"name": "job", "value": "api"}], "startsAt": str(start), "endsAt": str(start + 7200),
            "comment": "deploy"}


def test_a_person_signs_in_works_as_their_group_role_and_signs_out(api, idp):
    with httpx.Client() as browser:
        listed = browser.get(f"{api.url}/api/v1/auth/providers").json()["data"]["providers"]
        # "public" admits nobody (its policy names no domain or group), so the page does not offer it.
        assert [(p["id"], p["kind"], p["login_url"]) for p in listed] == [
            ("kc", "oidc", "/api/v1/auth/oidc/kc/login"), ("github", "github", "/api/v1/auth/oidc/github/login")]

        back = sign_in(browser, api, "kc", "alice", next_path="/incidents?open=1")
        assert back.status_code == 302 and back.headers["location"] == "/incidents?open=1"
        session, csrf = browser.cookies["oe_session"], browser.cookies["oe_csrf"]
        (exchange,) = idp.token_requests  # the code went back with its PKCE verifier and the public callback
        assert exchange["code_verifier"] and exchange["redirect_uri"] == f"{api.url}/api/v1/auth/oidc/kc/callback"

        me = browser.get(f"{api.url}/api/v1/auth/me").json()["data"]
        assert (me["username"], me["email"], me["name"]) == ("alice", "alice@example.com", "Alice Example")
        assert (me["tenant"], me["role"], me["auth"]) == ("default", "responder", "oidc:kc")
        assert "silences:manage" in me["permissions"] and "users:manage" not in me["permissions"]

        made = browser.post(f"{api.url}/api/v1/silences", json=silence(), headers={"X-CSRF-Token": csrf})
        assert made.status_code == 201, made.text
        assert made.json()["data"]["createdBy"] == me["id"]
        forged = browser.post(f"{api.url}/api/v1/silences", json=silence())  # no CSRF header: another site's form
        assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
        assert browser.get(f"{api.url}/api/v1/users").status_code == 403  # an admin's

        assert browser.post(f"{api.url}/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
        assert "oe_session" not in browser.cookies
    with httpx.Client(headers={"Cookie": f"oe_session={session}"}) as replay:  # the cookie, kept by a thief
        refused = replay.get(f"{api.url}/api/v1/auth/me")
        assert refused.status_code == 401 and "session has ended" in refused.json()["detail"]


def test_the_sign_in_policy_refuses_on_the_sign_in_page(api, idp):
    with httpx.Client() as browser:
        assert "addresses at evil.example" in refusal(sign_in(browser, api, "kc", "eve"))
        assert "oe_session" not in browser.cookies

        closed = browser.get(f"{api.url}/api/v1/auth/oidc/public/login")
        message = refusal(closed)
        assert "open to nobody" in message and "OBSERVER_IDENTITY_PROVIDERS" in message
        assert idp.requests["/oauth2/authorize"] == 2  # eve's form and her answer; none for the closed provider
        assert browser.get(f"{api.url}/api/v1/auth/me").status_code == 401


def test_github_sign_in_gets_the_role_of_a_team(api):
    with httpx.Client() as browser:
        back = sign_in(browser, api, "github", None)
        assert back.status_code == 302 and back.headers["location"] == "/"
        me = browser.get(f"{api.url}/api/v1/auth/me").json()["data"]
        assert (me["username"], me["role"], me["auth"]) == ("octocat", "admin", "oidc:github")
        assert browser.get(f"{api.url}/api/v1/users").status_code == 200


def test_a_service_calls_the_api_with_a_client_credentials_token_until_its_tenant_is_deactivated(api, idp):
    with httpx.Client() as admin:  # the generated platform admin creates the services' tenant
        password = (api.settings.data_dir / "admin-password").read_text().strip()
        assert admin.post(f"{api.url}/api/v1/auth/login", json={"username": "admin", "password": password}).is_success
        csrf = {"X-CSRF-Token": admin.cookies["oe_csrf"]}
        made = admin.post(f"{api.url}/api/v1/tenants", headers=csrf, json={
            "id": "acme", "name": "Acme", "admin": {"username": "bob", "email": "bob@acme.example", "name": "Bob"}})
        assert made.status_code == 201, made.text

        token = idp.sign(idp.access_token_claims(AUDIENCE, roles=["observer-responder"]))
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as service:
            me = service.get(f"{api.url}/api/v1/auth/me").json()["data"]
            assert (me["tenant"], me["role"], me["auth"], me["username"]) == ("acme", "responder", "jwt", "ci")
            assert me["id"] == "jwt:services:service-account-ci"
            assert service.post(f"{api.url}/api/v1/silences", json=silence()).status_code == 201  # no CSRF for bearers
            assert service.get(f"{api.url}/api/v1/users").status_code == 403

            outsider = idp.sign(idp.access_token_claims(AUDIENCE, roles=["billing"]))
            refused = service.get(f"{api.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {outsider}"})
            assert refused.status_code == 401 and "none of the groups" in refused.json()["detail"]
            other_api = idp.sign(idp.access_token_claims("another-api", roles=["observer-responder"]))
            assert service.get(f"{api.url}/api/v1/auth/me",
                               headers={"Authorization": f"Bearer {other_api}"}).status_code == 401

            assert admin.post(f"{api.url}/api/v1/tenants/acme/deactivate", headers=csrf).status_code == 200
            gone = service.get(f"{api.url}/api/v1/auth/me")
            assert gone.status_code == 401 and "deactivated" in gone.json()["detail"]


def test_a_finished_sign_in_replayed_in_another_browser_is_refused(api):
    with httpx.Client() as browser, httpx.Client() as victim:
        login = browser.get(f"{api.url}/api/v1/auth/oidc/kc/login")
        form_url = login.headers["location"]
        answer = browser.post(form_url, data={"sub": "alice"})
        state = parse_qs(urlsplit(answer.headers["location"]).query)["state"][0]
        assert state == parse_qs(urlsplit(form_url).query)["state"][0]
        # The attacker's finished sign-in, replayed in the victim's browser (login CSRF).
        assert "not started in this browser" in refusal(victim.get(answer.headers["location"]))
        assert "oe_session" not in victim.cookies
