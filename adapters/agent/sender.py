"""The agent's sending side: POSTs collected series to an Observer-Eye ingest endpoint.

Batches that could not be delivered (server down, 429, 5xx) are kept, up to a bound,
and sent first on the next round, so a short outage loses nothing. A 4xx other than
429 means the batch itself is wrong; resending cannot help, so it is dropped and logged.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable
from typing import Any

import httpx

log = logging.getLogger("observer_eye.agent")


class IngestSender:
    def __init__(self, url: str, api_key: str, *, max_backlog: int = 120, timeout_s: float = 10.0) -> None:
        self._url = url.rstrip("/") + "/api/v1/ingest"
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._backlog: collections.deque[list[dict[str, Any]]] = collections.deque(maxlen=max_backlog)
        self._client = httpx.AsyncClient(timeout=timeout_s)
        self.sent_batches = 0

    async def send(self, series: list[dict[str, Any]]) -> None:
        if series:
            self._backlog.append(series)
        while self._backlog:
            batch = self._backlog[0]
            try:
                resp = await self._client.post(self._url, json={"series": batch}, headers=self._headers)
            except httpx.HTTPError as exc:
                log.warning("ingest endpoint unreachable (%s); %d batches kept for retry", exc, len(self._backlog))
                return
            if resp.status_code == 429 or resp.status_code >= 500:
                log.warning("ingest answered %d; %d batches kept for retry", resp.status_code, len(self._backlog))
                return
            self._backlog.popleft()
            if resp.status_code >= 400:
                log.error("ingest refused a batch (%d): %s", resp.status_code, resp.text[:500])
            else:
                self.sent_batches += 1

    async def close(self) -> None:
        await self._client.aclose()


async def run_agent(collect: Callable[[], list[dict[str, Any]]], sender: IngestSender, interval_s: float, stop: asyncio.Event) -> None:
    try:
        while not stop.is_set():
            try:
                series = await asyncio.to_thread(collect)
                await sender.send(series)
            except Exception:
                log.exception("agent round failed")
            try:
                await asyncio.wait_for(stop.wait(), interval_s)
            except TimeoutError:
                pass
    finally:
        await sender.close()
