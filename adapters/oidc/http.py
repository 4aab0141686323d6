"""Calls to an identity provider: httpx (async), a total deadline, a size cap, no redirects.

A client per call: sign-ins are rare and discovery documents and key sets are cached, so
there is little to pool, and a client bound to no event loop can serve every loop a
process runs (the API, tests). The TLS context is shared (``adapters.outbound.tls``),
or one per configured CA file for providers behind a private CA.

Identity providers are operator configuration and often internal (a Keycloak in the
cluster), so unlike notification webhooks they are not held to the public-address
guard; instead every URL must be HTTPS unless it is on the loopback interface or the
operator allowed plain HTTP for that provider (``allow_http``: a service mesh that
encrypts in-cluster traffic).

Every failure becomes ``AuthenticationFailed`` with a message that names what was being
fetched and is safe to show the person signing in (no secrets, no response bodies).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import json
import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from adapters.outbound.tls import client_tls_context
from domain.errors import AuthenticationFailed

log = logging.getLogger(__name__)

USER_AGENT = "Observer-Eye/0.1 (+sign-in)"
MAX_RESPONSE_BYTES = 1024 * 1024  # a discovery document, key set or token answer is a few KiB


@dataclass(frozen=True, slots=True)
class ProviderResponse:
    status: int
    content_type: str
    body: bytes

    def json(self, what: str) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            raise AuthenticationFailed(f"{what} did not answer with JSON (HTTP {self.status})") from None


@functools.cache
def _ca_context(ca_file: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_file)


def check_url(url: str, *, what: str, allow_http: bool) -> str:
    """``url`` if it is absolute HTTPS (or HTTP where allowed); raise ``ValueError`` naming ``what``."""
    parsed = httpx.URL(url)
    if parsed.scheme == "https" and parsed.host:
        return url
    if parsed.scheme == "http" and parsed.host and (allow_http or _is_loopback(parsed.host)):
        return url
    raise ValueError(f"{what} must be an https:// URL (or http:// on loopback, or with allow_http), not {url!r}")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ProviderHttp:
    """One provider's outgoing calls: a deadline of ``timeout_s`` per call, answers up to ``max_bytes``."""

    def __init__(self, *, timeout_s: float = 10.0, ca_file: Path | None = None,
                 max_bytes: int = MAX_RESPONSE_BYTES, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self._verify = _ca_context(str(ca_file)) if ca_file else client_tls_context()
        self._transport = transport

    async def get(self, url: str, *, what: str, headers: Mapping[str, str] | None = None) -> ProviderResponse:
        return await self.request("GET", url, what=what, headers=headers)

    async def get_json(self, url: str, *, what: str, headers: Mapping[str, str] | None = None) -> Any:
        response = await self.get(url, what=what, headers={"Accept": "application/json", **(headers or {})})
        if response.status != 200:
            raise AuthenticationFailed(f"{what} answered HTTP {response.status}")
        return response.json(what)

    async def request(self, method: str, url: str, *, what: str, headers: Mapping[str, str] | None = None,
                      content: bytes | str | None = None) -> ProviderResponse:
        sent = {"User-Agent": USER_AGENT, **(headers or {})}
        try:
            async with asyncio.timeout(self.timeout_s):
                async with httpx.AsyncClient(verify=self._verify, transport=self._transport, follow_redirects=False,
                                             timeout=self.timeout_s) as client:
                    async with client.stream(method, url, headers=sent, content=content) as response:
                        body = await self._read_capped(response, what)
                        return ProviderResponse(response.status_code, response.headers.get("content-type", ""), body)
        except (TimeoutError, httpx.TimeoutException):
            log.warning("%s: no answer from %s within %ss", what, url, self.timeout_s)
            raise AuthenticationFailed(f"{what} did not answer within {self.timeout_s:g}s") from None
        except httpx.HTTPError as exc:
            log.warning("%s: %s %s failed: %s: %s", what, method, url, type(exc).__name__, exc)
            raise AuthenticationFailed(f"{what} could not be reached ({type(exc).__name__})") from None

    async def _read_capped(self, response: httpx.Response, what: str) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise AuthenticationFailed(f"{what} answered with more than {self.max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
