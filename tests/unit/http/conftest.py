from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from adapters.memory.clock import FakeClock
from entrypoints.container import Container, build_container
from entrypoints.runtime import build_app
from entrypoints.settings import Settings

NOW_MS = 1_800_000_000_000
PROBLEM = "application/problem+json"


def problem(resp: httpx.Response, status: int, field: str | None = None) -> dict:
    """The problem+json body of ``resp``, after checking its status (and ``field``)."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == PROBLEM
    body = resp.json()
    if field is not None:
        assert body["field"] == field, body
    return body


@dataclass
class Api:
    client: httpx.AsyncClient
    container: Container
    clock: FakeClock
    key: str

    async def drain(self) -> None:
        """Run the consumers over everything published so far (no background tasks here)."""
        bus = self.container.bus()
        writer = await bus.subscribe(["telemetry"], "writer")
        msgs = await writer.poll(timeout_s=0.01)
        if msgs:
            await self.container.writer().handle(msgs)
            await writer.commit({(m.topic, m.partition): m.offset + 1 for m in msgs})


@pytest.fixture
async def api(tmp_path) -> AsyncIterator[Api]:
    clock = FakeClock(NOW_MS)
    container = build_container(Settings(data_dir=tmp_path, agent=False, max_body_bytes=64 * 1024, max_samples_per_batch=1000))
    container.clock.override(clock)
    app = build_app(container, with_agent=False)
    await container.tenants().bootstrap_tenant("default")  # what the lifespan does (ASGITransport runs none)
    _, key = await container.api_keys().create_api_key("default", "test", ["ingest", "read", "admin"])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers={"Authorization": f"Bearer {key}"}) as client:
        yield Api(client, container, clock, key)
