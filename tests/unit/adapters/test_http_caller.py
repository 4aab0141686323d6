"""The runbook HTTP caller: idempotency key header, the private-address guard."""

from __future__ import annotations

import pytest

from adapters.outbound.http_caller import GuardedHttpCaller
from ports.infrastructure import HttpRequest, InfrastructureError
from tests.unit.adapters.fake_http import fake_server


async def test_sends_the_idempotency_key_and_a_json_body() -> None:
    with fake_server(lambda seen: (202, {"ok": True})) as srv:
        caller = GuardedHttpCaller(allow=["127.0.0.1/32"])
        r = await caller.call(HttpRequest("POST", f"{srv.url}/drain?x=1", "inc-1.remediation.1/drain",
                                          headers={"X-Team": "sre"}, body={"pool": "web"}))
    [seen] = srv.requests
    assert r.status == 202 and '"ok": true' in r.body
    assert (seen.method, seen.path) == ("POST", "/drain?x=1")
    assert seen.headers["idempotency-key"] == "inc-1.remediation.1/drain"
    assert seen.headers["x-team"] == "sre" and seen.body == {"pool": "web"}


async def test_a_private_address_is_refused_unless_allowed() -> None:
    with fake_server() as srv:
        with pytest.raises(InfrastructureError) as refused:
            await GuardedHttpCaller().call(HttpRequest("GET", srv.url, "k"))
    assert not refused.value.retryable and "OBSERVER_OUTGOING_ALLOW" in str(refused.value)
    assert srv.requests == []


async def test_an_unreachable_endpoint_is_retryable() -> None:
    with pytest.raises(InfrastructureError) as down:
        await GuardedHttpCaller(allow=["127.0.0.1/32"]).call(HttpRequest("GET", "http://127.0.0.1:1/", "k", timeout_s=2))
    assert down.value.retryable
