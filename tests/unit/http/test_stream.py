"""WebSocket /api/v1/stream on the embedded stack (in-process bus and pub/sub, the
writer, evaluator and pipeline running in the app's lifespan), driven by Starlette's
TestClient: what a client receives, what it must not, and how it is closed."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import anyio
import pytest
import warnings

with warnings.catch_warnings():  # Starlette 1.x suggests httpx2 for its TestClient; httpx works
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from entrypoints.container import Container, build_container
from entrypoints.runtime import build_app
from entrypoints.settings import Settings
from services.identity import Actor
from services.streaming import alerts_channel, series_channel

STREAM = "/api/v1/stream"


@dataclass
class Live:
    client: TestClient
    container: Container
    key: str
    other_key: str  # tenant "other"
    ingest_only_key: str

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}"}

    def ingest(self, name: str, labels: dict[str, str], value: float, key: str | None = None) -> None:
        body = {"series": [{"name": name, "labels": labels, "samples": [[int(time.time() * 1000), value]]}]}
        r = self.client.post("/api/v1/ingest", json=body, headers=self.auth(key))
        assert r.status_code == 202, r.text

    def publish(self, channel: str, payloads: list[bytes]) -> None:
        """Publish in one go on the app's event loop (no await yields between them)."""
        pubsub = self.container.pubsub()

        async def go() -> None:
            for p in payloads:
                await pubsub.publish(channel, p)

        self.client.portal.call(go)


def make_live(tmp_path, **settings) -> Iterator[Live]:
    container = build_container(Settings(data_dir=tmp_path, agent=False, **settings))
    with TestClient(build_app(container, with_agent=False)) as client:
        identity = container.api_keys()
        client.portal.call(container.tenants().bootstrap_tenant, "other")
        _, key = client.portal.call(identity.create_api_key, "default", "test", ["ingest", "read", "admin"])
        _, other = client.portal.call(identity.create_api_key, "other", "test", ["ingest", "read"])
        _, ingest_only = client.portal.call(identity.create_api_key, "default", "agent", ["ingest"])
        yield Live(client, container, key, other, ingest_only)


@pytest.fixture
def live(tmp_path) -> Iterator[Live]:
    yield from make_live(tmp_path)


def recv(ws, timeout: float = 5.0) -> dict:
    """The next message, or a failure after ``timeout`` (TestClient's own receive waits forever)."""

    async def get():
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()

    message = ws.portal.call(get)
    ws._raise_on_close(message)
    return json.loads(message["text"])


def silent(ws, within: float = 0.3) -> bool:
    async def get():
        with anyio.move_on_after(within):
            return await ws._send_rx.receive()

    return ws.portal.call(get) is None


def subscribe(ws, **request) -> dict:
    assert recv(ws)["type"] == "hello"
    ws.send_json({"op": "subscribe", **request})
    reply = recv(ws)
    assert reply["type"] == "subscribed", reply
    return reply


def test_samples_arrive_after_ingest_filtered_by_selector(live):
    with live.client.websocket_connect(STREAM, headers=live.auth()) as ws:
        subscribe(ws, series=['cpu{host="a"}'])
        live.ingest("cpu", {"host": "b"}, 1.0)
        live.ingest("cpu", {"host": "a"}, 42.0)
        msg = recv(ws)
        assert msg["type"] == "samples"
        assert [(s["name"], s["labels"], s["v"]) for s in msg["series"]] == [("cpu", {"host": "a"}, 42.0)]
        assert isinstance(msg["series"][0]["id"], str)
        assert silent(ws)  # host="b" never comes


def test_tenants_see_only_their_own_series(live):
    with live.client.websocket_connect(STREAM, headers=live.auth()) as mine, \
            live.client.websocket_connect(STREAM, headers=live.auth(live.other_key)) as theirs:
        subscribe(mine, series=["cpu"])
        subscribe(theirs, series=["cpu"])
        live.ingest("cpu", {"host": "mine"}, 1.0)
        assert recv(mine)["series"][0]["labels"] == {"host": "mine"}
        assert silent(theirs)
        live.ingest("cpu", {"host": "theirs"}, 2.0, key=live.other_key)
        assert recv(theirs)["series"][0]["labels"] == {"host": "theirs"}
        assert silent(mine)


def test_alerts_and_incidents_arrive_from_the_rule_pipeline(live):
    rule = {"name": "Hot", "selector": "temp", "op": ">", "threshold": 50, "window": "1m"}
    assert live.client.post("/api/v1/rules", json=rule, headers=live.auth()).status_code == 201
    with live.client.websocket_connect(STREAM, headers=live.auth()) as ws:
        subscribe(ws, alerts=True, incidents=True)
        live.ingest("temp", {"room": "1"}, 90.0)
        seen: dict[str, dict] = {}
        while "incident" not in seen or "alert" not in seen:
            msg = recv(ws)
            seen.setdefault(msg["type"], msg)
        assert seen["alert"]["to"] == "firing" and seen["alert"]["labels"]["room"] == "1"
        assert seen["incident"]["change"] == "opened" and seen["incident"]["incident"]["status"] == "triggered"


def _signed_in(live: Live) -> None:
    """Sign the test client in as a viewer (it keeps the session cookies)."""
    accounts = live.container.accounts()
    live.client.portal.call(lambda: accounts.create_user(
        "default", Actor.system(), username="vic", email="vic@example.com", name="Vic", role="viewer",
        password="a viewer's password"))
    assert live.client.post("/api/v1/auth/login", json={"username": "vic", "password": "a viewer's password"}).status_code == 200


@pytest.mark.parametrize("how", ["header", "ticket", "cookie"])
def test_the_credential_can_come_three_ways(live, how):
    kwargs: dict = {"subprotocols": ["observer-eye.v1"]}
    url = STREAM
    if how == "header":
        kwargs["headers"] = live.auth()
    elif how == "ticket":
        ticket = live.client.post("/api/v1/stream/tickets", headers=live.auth()).json()["data"]["ticket"]
        url = f"{STREAM}?ticket={ticket}"
    else:
        _signed_in(live)
        kwargs["headers"] = {"origin": "http://testserver"}
    with live.client.websocket_connect(url, **kwargs) as ws:
        assert recv(ws)["tenant"] == "default"
        assert ws.accepted_subprotocol == "observer-eye.v1"


def _refused(live: Live, url: str, **kwargs) -> WebSocketDisconnect:
    with live.client.websocket_connect(url, **kwargs) as ws:
        with pytest.raises(WebSocketDisconnect) as info:
            recv(ws)
    assert info.value.code == 1008
    return info.value


def test_no_api_key_is_taken_from_the_url_or_a_subprotocol(live):
    """The key in ``?access_token=`` ends up in access logs; the subprotocol form is gone with it."""
    _refused(live, f"{STREAM}?access_token={live.key}")
    _refused(live, STREAM, subprotocols=["observer-eye.v1", f"bearer.{live.key}"])


def test_a_ticket_works_once_and_a_cookie_only_from_this_origin(live):
    ticket = live.client.post("/api/v1/stream/tickets", headers=live.auth()).json()["data"]["ticket"]
    with live.client.websocket_connect(f"{STREAM}?ticket={ticket}") as ws:
        recv(ws)
    assert "used or expired" in _refused(live, f"{STREAM}?ticket={ticket}").reason
    _signed_in(live)
    assert "origin" in _refused(live, STREAM, headers={"origin": "https://evil.example"}).reason
    _refused(live, STREAM)  # no Origin at all: not a same-origin page either


@pytest.mark.parametrize("credential", [None, "oe_000000000000_" + "0" * 64, "not-a-token", "ingest-only"])
def test_authentication_failure_closes_with_1008(live, credential):
    headers = {}
    if credential == "ingest-only":
        headers = live.auth(live.ingest_only_key)
    elif credential:
        headers = {"Authorization": f"Bearer {credential}"}
    with live.client.websocket_connect(STREAM, headers=headers) as ws:
        with pytest.raises(WebSocketDisconnect) as info:
            recv(ws)
    assert info.value.code == 1008 and info.value.reason


def test_bad_requests_get_errors_and_the_connection_stays(live):
    with live.client.websocket_connect(STREAM, headers=live.auth()) as ws:
        recv(ws)
        for request, field in [("not json", None), ({"op": "dance"}, "op"), ({"op": "subscribe", "series": ["cpu{"]}, "series[0]"),
                               ({"op": "subscribe", "alerts": "yes"}, "alerts")]:
            ws.send_text(request if isinstance(request, str) else json.dumps(request))
            reply = recv(ws)
            assert reply["type"] == "error" and reply.get("field") == field, reply
        ws.send_json({"op": "ping", "id": 7})
        assert recv(ws) == {"type": "pong", "id": 7}
        ws.send_text("x" * (64 * 1024 + 1))
        with pytest.raises(WebSocketDisconnect) as info:
            recv(ws)
        assert info.value.code == 1009


def test_a_slow_client_gets_the_latest_value_per_series(live):
    with live.client.websocket_connect(STREAM, headers=live.auth()) as ws:
        subscribe(ws, series=["cpu"])
        doc = lambda t, v: json.dumps({"type": "samples", "series": [  # noqa: E731
            {"name": "cpu", "labels": {"host": "a"}, "id": "1", "t": t, "v": v}]}).encode()
        live.publish(series_channel("default"), [doc(1, 1.0), doc(2, 2.0), doc(3, 3.0)])
        msg = recv(ws)
        assert msg["series"] == [{"name": "cpu", "labels": {"host": "a"}, "id": "1", "t": 3, "v": 3.0}]
        assert silent(ws)


def test_a_client_over_its_bound_past_the_grace_period_is_closed_with_1013(tmp_path):
    for live in make_live(tmp_path, stream_max_pending_events=2, stream_slow_grace_s=0):
        with live.client.websocket_connect(STREAM, headers=live.auth()) as ws:
            subscribe(ws, alerts=True)
            events = [json.dumps({"type": "alert", "fingerprint": f"f{i}"}).encode() for i in range(5)]
            live.publish(alerts_channel("default"), events)
            with pytest.raises(WebSocketDisconnect) as info:
                while True:
                    recv(ws)
            assert info.value.code == 1013 and "too slow" in info.value.reason
        assert live.container.stream_hub().clients("default") == 0
