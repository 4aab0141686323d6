"""Security headers on every response: nosniff, a referrer policy, no framing, a CSP
that lets the same-origin dashboard run and nothing else, and HSTS only behind TLS."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from adapters.http.middleware.security_headers import SecurityHeadersMiddleware
from entrypoints.container import build_container
from entrypoints.runtime import build_app
from entrypoints.settings import Settings
from tests.unit.http.conftest import Api


def _common(resp: httpx.Response) -> None:
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["referrer-policy"] == "no-referrer"
    assert resp.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/healthz", 200), ("GET", "/api/v1/series", 200), ("GET", "/api/v1/incidents/nope", 404),
    ("POST", "/api/v1/rules", 422),
])
async def test_every_api_answer_carries_the_headers(api: Api, method: str, path: str, status: int) -> None:
    resp = await api.client.request(method, path, json={} if method == "POST" else None)
    assert resp.status_code == status
    _common(resp)
    assert resp.headers["content-security-policy"].startswith("default-src 'none'")
    assert "strict-transport-security" not in resp.headers  # plain HTTP


async def test_refusals_from_middleware_carry_them_too(api: Api) -> None:
    resp = await api.client.post("/api/v1/rules", content=b"x" * (65 * 1024), headers={"content-type": "application/json"})
    assert resp.status_code == 413
    _common(resp)


async def _client(tmp_path, base_url: str, **settings) -> tuple[httpx.AsyncClient, object]:
    container = build_container(Settings(data_dir=tmp_path, agent=False, **settings))
    app = build_app(container, with_agent=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url), container


async def test_hsts_only_over_tls(tmp_path) -> None:
    client, _ = await _client(tmp_path, "https://observer.example")
    async with client:
        resp = await client.get("/healthz")
    assert resp.headers["strict-transport-security"] == "max-age=31536000"


async def test_forwarded_proto_counts_only_when_the_proxy_is_trusted(tmp_path) -> None:
    client, _ = await _client(tmp_path, "http://observer.example")
    async with client:
        untrusted = await client.get("/healthz", headers={"x-forwarded-proto": "https"})
    assert "strict-transport-security" not in untrusted.headers
    client, _ = await _client(tmp_path, "http://observer.example", trust_forwarded_proto=True)
    async with client:
        trusted = await client.get("/healthz", headers={"x-forwarded-proto": "https"})
        plain = await client.get("/healthz", headers={"x-forwarded-proto": "http"})
    assert trusted.headers["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in plain.headers


async def test_html_may_use_its_own_origin_and_nothing_else() -> None:
    async def page(request):
        return HTMLResponse("<!doctype html><title>x</title>")

    app = SecurityHeadersMiddleware(Starlette(routes=[Route("/", page)]))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://observer.example:8443") as client:
        resp = await client.get("/")
    _common(resp)
    csp = dict(d.strip().split(" ", 1) for d in resp.headers["content-security-policy"].split(";"))
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self' 'unsafe-inline'"
    assert csp["connect-src"] == "'self' wss://observer.example:8443"
    assert "unsafe" not in csp["script-src"]  # inline styles only: no inline script, no eval
    assert "unsafe-eval" not in resp.headers["content-security-policy"]


async def test_a_forged_host_does_not_reach_the_policy() -> None:
    async def page(request):
        return HTMLResponse("<p>x</p>")

    app = SecurityHeadersMiddleware(Starlette(routes=[Route("/", page)]))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://observer.example") as client:
        resp = await client.get("/", headers={"host": "evil.example; script-src *"})
    assert "evil" not in resp.headers["content-security-policy"]
    assert "connect-src 'self';" in resp.headers["content-security-policy"]


async def test_the_api_browser_gets_its_own_policy(api: Api) -> None:
    resp = await api.client.get("/docs")
    assert resp.status_code == 200
    _common(resp)
    assert "https://cdn.jsdelivr.net" in resp.headers["content-security-policy"]
