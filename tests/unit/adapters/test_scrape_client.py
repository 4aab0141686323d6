"""The httpx scrape client: statuses pass through, bodies are decoded and bounded
after decompression, transport failures and timeouts become ScrapeError."""

from __future__ import annotations

import gzip

import httpx
import pytest

from adapters.scrape import HttpScrapeClient
from ports.scrape import ScrapeError


def client_for(handler) -> HttpScrapeClient:
    return HttpScrapeClient(transport=httpx.MockTransport(handler))


async def test_status_content_type_and_headers_pass_through():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(request.headers)
        return httpx.Response(503, headers={"Content-Type": "text/plain; version=0.0.4"}, content=b"busy")

    client = client_for(handler)
    resp = await client.fetch("http://t/metrics", headers={"Accept": "x/y", "Authorization": "Bearer k"}, timeout_s=1, max_bytes=1024)
    await client.close()
    assert (resp.status, resp.content_type, resp.body) == (503, "text/plain; version=0.0.4", b"busy")
    assert seen["accept"] == "x/y" and seen["authorization"] == "Bearer k" and "Observer-Eye" in seen["user-agent"]


async def test_gzip_is_decoded_and_the_limit_applies_to_the_decoded_size():
    page = b"m 1\n" * 10_000

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=gzip.compress(page))

    client = client_for(handler)
    assert (await client.fetch("http://t/metrics", headers={}, timeout_s=1, max_bytes=len(page))).body == page
    with pytest.raises(ScrapeError, match="over the limit of 1000 bytes"):
        await client.fetch("http://t/metrics", headers={}, timeout_s=1, max_bytes=1000)
    await client.close()


@pytest.mark.parametrize("error, reason", [
    (httpx.ConnectTimeout("slow"), "scrape timeout of 1.5s"),
    (httpx.ConnectError("All connection attempts failed"), "All connection attempts failed"),
])
async def test_transport_failures_are_scrape_errors(error, reason):
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    client = client_for(handler)
    with pytest.raises(ScrapeError, match=reason):
        await client.fetch("http://t/metrics", headers={}, timeout_s=1.5, max_bytes=1000)
    await client.close()
