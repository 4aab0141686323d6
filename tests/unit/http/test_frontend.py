"""The dashboard's build served on the API's origin: files, deep links, caching, and the
API's own paths left alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from adapters.http.frontend import is_api_path
from entrypoints.container import build_container
from entrypoints.runtime import build_app
from entrypoints.settings import Settings

INDEX = "<!doctype html><html><body><oe-root></oe-root><script src=main-ABCD1234.js></script></body></html>"
MAIN_JS = "console.log('dashboard');\n" * 200  # big enough to be compressed


def write_build(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "main-ABCD1234.js").write_text(MAIN_JS)
    (root / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (root / "media").mkdir()
    (root / "media" / "font-ZYXW9876.woff2").write_bytes(b"\x00font")
    (root.parent / "secret.txt").write_text("outside the build")
    return root


async def client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    container = build_container(settings)
    app = build_app(container, with_agent=False)
    await container.tenants().bootstrap_tenant("default")
    _, key = await container.api_keys().create_api_key("default", "reader", ["read"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        client.signed = {"Authorization": f"Bearer {key}"}  # type: ignore[attr-defined]
        yield client


@pytest.fixture
async def web(tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    build = write_build(tmp_path / "dist" / "browser")
    async for client in client_for(Settings(data_dir=tmp_path / "var", agent=False, frontend_dir=build)):
        yield client


async def test_root_and_deep_links_serve_index_without_caching(web: httpx.AsyncClient) -> None:
    for path in ("/", "/incidents/inc-123", "/performance?q=up&range=1h", "/settings/notifications"):
        r = await web.get(path)
        assert r.status_code == 200, path
        assert r.text == INDEX
        assert r.headers["content-type"].startswith("text/html")
        assert r.headers["cache-control"] == "no-cache"


async def test_hashed_assets_are_immutable_and_compressed(web: httpx.AsyncClient) -> None:
    r = await web.get("/main-ABCD1234.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["content-encoding"] == "gzip"
    assert r.text == MAIN_JS  # httpx inflates it
    assert int(r.headers["content-length"]) < len(MAIN_JS) // 10
    assert r.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    raw = await web.get("/main-ABCD1234.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers and raw.text == MAIN_JS
    font = await web.get("/media/font-ZYXW9876.woff2")
    assert font.content == b"\x00font" and "immutable" in font.headers["cache-control"]


async def test_unhashed_files_revalidate_and_etag_answers_304(web: httpx.AsyncClient) -> None:
    r = await web.get("/favicon.svg")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-cache"
    again = await web.get("/favicon.svg", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


async def test_a_revalidated_index_keeps_the_pages_policy(web: httpx.AsyncClient) -> None:
    """A browser merges a 304's headers into the cached page: a 304 carrying the API's
    ``default-src 'none'`` would leave the dashboard unable to run its own scripts."""
    first = await web.get("/incidents")
    again = await web.get("/incidents", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
    assert "script-src 'self'" in again.headers["content-security-policy"]


async def test_head_has_the_length_but_no_body(web: httpx.AsyncClient) -> None:
    r = await web.head("/main-ABCD1234.js", headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200 and r.content == b""
    assert int(r.headers["content-length"]) == len(MAIN_JS)


async def test_api_paths_keep_their_problems(web: httpx.AsyncClient) -> None:
    for path in ("/api/v1/nope", "/api", "/prometheus/api/v1/nope", "/v1/traces", "/metrics"):
        assert (await web.get(path)).status_code == 401, path  # the API's paths need a credential, known or not
        r = await web.get(path, headers=web.signed)
        assert r.status_code == 404, path
        assert r.headers["content-type"] == "application/problem+json"
    # A known API path with the wrong method is still the API's 405, not the dashboard.
    r = await web.get("/api/v1/ingest", headers=web.signed)
    assert r.status_code == 405
    assert (await web.get("/healthz")).json() == {"status": "ok"}
    assert (await web.get("/api/v1/series")).status_code == 401
    assert (await web.get("/openapi.json", headers=web.signed)).json()["info"]["title"] == "Observer-Eye"


async def test_no_file_outside_the_build_and_no_writes(web: httpx.AsyncClient) -> None:
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/media/../../secret.txt", "/.hidden"):
        r = await web.get(path)
        assert r.status_code == 200 and r.text == INDEX, path  # the SPA, never the file
    r = await web.post("/incidents")
    assert r.status_code == 405
    assert r.headers["content-type"] == "application/problem+json"


async def test_without_a_build_unknown_paths_stay_404(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path / "var", agent=False, frontend_dir=tmp_path / "missing")
    async for client in client_for(settings):
        r = await client.get("/incidents")
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"


def test_api_prefixes_match_whole_segments() -> None:
    assert is_api_path("/api/v1/alerts") and is_api_path("/healthz") and is_api_path("/docs")
    assert not is_api_path("/apis") and not is_api_path("/docs-page") and not is_api_path("/")

