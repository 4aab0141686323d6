"""Authentication happens in middleware, before any body is read; the documentation
needs a credential unless the operator opts out; anonymous callers learn only whether
the service is ready; HTTP Basic carries API keys for Grafana and Prometheus clients."""

from __future__ import annotations

import base64

import httpx
import pytest

from entrypoints.container import build_container
from entrypoints.runtime import build_app
from entrypoints.settings import Settings
from services.identity import Actor

ANONYMOUS = {"Authorization": ""}


async def _asgi(app, method: str, path: str, headers: list[tuple[bytes, bytes]] = ()) -> tuple[int, bool]:
    """Call the app directly; return the status and whether it ever asked for the body."""
    asked: list[bool] = []
    sent: list[dict] = []

    async def receive() -> dict:
        asked.append(True)
        return {"type": "http.request", "body": b'{"series": []}', "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"oe.test"), (b"content-type", b"application/json"), *headers],
             "client": ("192.0.2.1", 4000), "server": ("oe.test", 80)}
    await app(scope, receive, send)
    return next(m["status"] for m in sent if m["type"] == "http.response.start"), bool(asked)


@pytest.mark.parametrize("path", ["/api/v1/ingest", "/v1/metrics", "/api/v1/write", "/api/v1/rules",
                                  "/api/v1/integrations/alertmanager", "/api/v1/users"])
async def test_a_request_without_a_valid_credential_is_refused_before_its_body_is_read(api, path):
    app = api.client._transport.app  # type: ignore[attr-defined]
    assert await _asgi(app, "POST", path) == (401, False)
    assert await _asgi(app, "POST", path, [(b"authorization", b"Bearer oe_000000000000_" + b"0" * 64)]) == (401, False)


async def test_a_wrong_csrf_token_is_refused_before_the_body_is_read(api):
    await api.container.accounts().create_user("default", Actor.system(), username="ada", email="ada@example.com", name="Ada",
                               role="admin", password="the admin's password")
    login = await api.client.post("/api/v1/auth/login", headers=ANONYMOUS,
                                  json={"username": "ada", "password": "the admin's password"})
    cookie = f"oe_session={login.cookies['oe_session']}".encode()
    app = api.client._transport.app  # type: ignore[attr-defined]
    assert await _asgi(app, "POST", "/api/v1/rules", [(b"cookie", cookie)]) == (403, False)


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
async def test_the_api_documentation_needs_a_credential(api, path):
    assert (await api.client.get(path, headers=ANONYMOUS)).status_code == 401
    assert (await api.client.get(path)).status_code == 200


async def test_an_operator_may_publish_the_documentation(tmp_path):
    app = build_app(build_container(Settings(data_dir=tmp_path, agent=False, docs_public=True)), with_agent=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://oe.test") as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert (await client.get(path)).status_code == 200
        assert (await client.get("/api/v1/series")).status_code == 401  # only the documentation


async def test_anonymous_readiness_says_ready_or_not_and_nothing_else(api):
    async def broken() -> None:
        raise ConnectionError("database at 10.1.2.3:5432 refused the password for user 'oe'")

    api.container.api_services().readiness["database"] = broken
    anonymous = await api.client.get("/readyz", headers=ANONYMOUS)
    assert anonymous.status_code == 503 and anonymous.json() == {"status": "not ready"}
    insider = await api.client.get("/readyz")
    assert insider.status_code == 503 and "10.1.2.3" in insider.json()["checks"]["database"]
    del api.container.api_services().readiness["database"]
    assert (await api.client.get("/readyz", headers=ANONYMOUS)).json() == {"status": "ready"}
    assert (await api.client.get("/healthz", headers=ANONYMOUS)).json() == {"status": "ok"}


async def test_http_basic_carries_an_api_key_as_the_password(api):
    def basic(user: str, password: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}

    assert (await api.client.get("/api/v1/series", params={"match[]": "up"}, headers=basic("grafana", api.key))).status_code == 200
    assert (await api.client.get("/api/v1/series", params={"match[]": "up"}, headers=basic("", api.key))).status_code == 200
    for headers in (basic("grafana", "wrong"), basic("grafana", ""), {"Authorization": "Basic !!!"},
                    {"Authorization": "Digest x"}):
        resp = await api.client.get("/api/v1/series", params={"match[]": "up"}, headers=headers)
        assert resp.status_code == 401 and resp.headers["content-type"] == "application/problem+json"


async def test_unknown_api_paths_need_a_credential_and_dashboard_paths_do_not(tmp_path):
    settings = Settings(data_dir=tmp_path, agent=False, frontend_dir=tmp_path / "no-build")
    app = build_app(build_container(settings), with_agent=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://oe.test") as client:
        assert (await client.get("/api/v1/no-such-thing")).status_code == 401
        assert (await client.get("/metrics")).status_code == 401
        assert (await client.get("/incidents/inc-1")).status_code == 404  # a dashboard path: no build here
