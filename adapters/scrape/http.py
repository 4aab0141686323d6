"""``ports.scrape.ScrapeClient`` with httpx.

One connection pool for every target (keep-alive across scrapes, as Prometheus does).
The body is read as a stream and cut off at ``max_bytes`` *after* decompression, so a
target cannot make the scraper inflate a gzip bomb. Redirects are followed (a few),
since exporters behind proxies commonly answer ``/metrics`` with one. Scrape targets
are operator configuration aimed at internal hosts on purpose, so unlike notification
webhooks they are not held to the public-address guard.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import httpx

from ports.scrape import ScrapeError, ScrapeResponse

USER_AGENT = "Observer-Eye/0.1 (+scraper)"


class HttpScrapeClient:
    def __init__(self, *, verify_tls: bool = True, max_connections: int = 100,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._client = httpx.AsyncClient(
            transport=transport,  # tests hand in an httpx.MockTransport
            verify=verify_tls,
            follow_redirects=True,
            max_redirects=3,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            headers={"User-Agent": USER_AGENT},
        )

    async def fetch(self, url: str, *, headers: Mapping[str, str], timeout_s: float, max_bytes: int) -> ScrapeResponse:
        try:
            # The scrape timeout bounds the whole scrape, as Prometheus' does, not each read.
            async with asyncio.timeout(timeout_s):
                async with self._client.stream("GET", url, headers=dict(headers), timeout=httpx.Timeout(timeout_s)) as resp:
                    chunks: list[bytes] = []
                    size = 0
                    async for chunk in resp.aiter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            raise ScrapeError(f"body is over the limit of {max_bytes} bytes (scrape_max_body_bytes)")
                        chunks.append(chunk)
                    return ScrapeResponse(resp.status_code, resp.headers.get("content-type", ""), b"".join(chunks))
        except (httpx.TimeoutException, TimeoutError):
            raise ScrapeError(f"no complete answer within the scrape timeout of {timeout_s:g}s") from None
        except httpx.DecodingError as exc:
            raise ScrapeError(f"cannot decode the body: {exc}") from None
        except httpx.HTTPError as exc:
            raise ScrapeError(_reason(exc)) from None

    async def close(self) -> None:
        await self._client.aclose()


def _reason(exc: BaseException) -> str:
    """The message plus its root cause (``All connection attempts failed: connection
    refused ([Errno 111] ...)``): httpx alone often says too little to act on."""
    text = str(exc) or type(exc).__name__
    root, seen = exc, 0
    while (nxt := root.__cause__ or root.__context__) is not None and seen < 10:
        root, seen = nxt, seen + 1
    if root is not exc and str(root) and str(root) not in text:
        kind = {ConnectionRefusedError: "connection refused", TimeoutError: "timed out"}.get(type(root), "")
        text = f"{text}: {kind} ({root})" if kind else f"{text}: {root}"
    return text
