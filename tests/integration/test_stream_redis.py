"""/api/v1/stream across API replicas over real Redis pub/sub: a client connected to
replica B sees what replica A's writer and evaluator publish (any replica serves any
client), and only its own tenant's. Redis is the one of OBSERVER_TEST_REDIS_URL
(tests/support/redis_server.py); if it does not answer the test fails saying so."""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Iterator
from contextlib import ExitStack

import anyio
import pytest
import redis

from entrypoints.container import build_container
from entrypoints.runtime import build_app
from entrypoints.settings import Settings
from tests.support.redis_server import redis_url, unique_prefix

with warnings.catch_warnings():  # Starlette 1.x suggests httpx2 for its TestClient; httpx works
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

pytestmark = pytest.mark.integration


class Replica:
    def __init__(self, stack: ExitStack, tmp_path, name: str, url: str, prefix: str) -> None:
        self.container = build_container(Settings(data_dir=tmp_path / name, agent=False, cache="redis",
                                                  redis_url=url, redis_prefix=prefix))
        self.client = stack.enter_context(TestClient(build_app(self.container, with_agent=False)))
        identity = self.container.api_keys()
        self.client.portal.call(self.container.tenants().bootstrap_tenant, "other")
        _, self.key = self.client.portal.call(identity.create_api_key, "default", "t", ["ingest", "read", "admin"])
        _, self.other_key = self.client.portal.call(identity.create_api_key, "other", "t", ["ingest", "read"])

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}"}


@pytest.fixture
def replicas(tmp_path) -> Iterator[tuple[Replica, Replica]]:
    url, prefix = redis_url(), unique_prefix()
    with ExitStack() as stack:
        yield Replica(stack, tmp_path, "a", url, prefix), Replica(stack, tmp_path, "b", url, prefix)
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def recv(ws, timeout: float = 10.0) -> dict:
    async def get():
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()

    message = ws.portal.call(get)
    ws._raise_on_close(message)
    return json.loads(message["text"])


def silent(ws, within: float = 0.5) -> bool:
    async def get():
        with anyio.move_on_after(within):
            return await ws._send_rx.receive()

    return ws.portal.call(get) is None


def subscribe(ws, **request) -> None:
    assert recv(ws)["type"] == "hello"
    ws.send_json({"op": "subscribe", **request})
    assert recv(ws)["type"] == "subscribed"


def ingest(replica: Replica, name: str, labels: dict[str, str], value: float, key: str | None = None) -> None:
    body = {"series": [{"name": name, "labels": labels, "samples": [[int(time.time() * 1000), value]]}]}
    r = replica.client.post("/api/v1/ingest", json=body, headers=replica.auth(key))
    assert r.status_code == 202, r.text


def test_a_client_on_one_replica_sees_what_another_replica_writes(replicas):
    a, b = replicas
    rule = {"name": "Hot", "selector": "temp", "op": ">", "threshold": 50, "window": "1m"}
    assert a.client.post("/api/v1/rules", json=rule, headers=a.auth()).status_code == 201
    with b.client.websocket_connect("/api/v1/stream", headers=b.auth()) as ws, \
            b.client.websocket_connect("/api/v1/stream", headers=b.auth(b.other_key)) as other:
        subscribe(ws, series=["temp"], alerts=True)
        subscribe(other, series=["temp"], alerts=True)
        time.sleep(0.5)  # Redis confirms SUBSCRIBE asynchronously; the hub's first read awaits it
        ingest(a, "temp", {"room": "1"}, 90.0)
        seen: dict[str, dict] = {}
        while {"samples", "alert"} - set(seen):
            msg = recv(ws)
            seen.setdefault(msg["type"], msg)
        assert seen["samples"]["series"][0]["labels"] == {"room": "1"} and seen["samples"]["series"][0]["v"] == 90.0
        assert seen["alert"]["to"] == "firing"
        assert silent(other)  # tenant "other" on the same replica hears nothing of it
        ingest(a, "temp", {"room": "2"}, 1.0, key=a.other_key)
        assert recv(other)["series"][0]["labels"] == {"room": "2"}
