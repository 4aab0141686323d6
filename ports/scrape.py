"""Fetching a metrics page from a scrape target (HTTP in production, fakes in tests).

The port is deliberately thin: one GET with headers, a timeout and a size bound. What
the page means (parsing), what counts as a failed scrape (status codes) and the
``up`` series are the scrape service's business, so every adapter behaves the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from domain.errors import DomainError


class ScrapeError(DomainError):
    """The page could not be fetched: connection refused, timeout, TLS, too large.
    The message is the reason the scraper logs and reports for the target."""


@dataclass(frozen=True, slots=True)
class ScrapeResponse:
    status: int
    content_type: str
    body: bytes  # decoded from any Content-Encoding


class ScrapeClient(Protocol):
    async def fetch(self, url: str, *, headers: Mapping[str, str], timeout_s: float, max_bytes: int) -> ScrapeResponse:
        """GET ``url``. Raise ``ScrapeError`` when no response (or one over ``max_bytes``
        once decompressed) arrives within ``timeout_s``; any status is returned as is."""
        ...

    async def close(self) -> None: ...
