"""The live-update rules without sockets: filtering by selectors, coalescing, the
bounded backlog and the grace period, and the hub's one subscription per tenant."""

from __future__ import annotations

import asyncio
import json

import pytest

from adapters.memory.cache import MemoryPubSub
from domain.errors import LimitExceeded, PermissionDenied, ValidationError
from services.streaming import StreamHub, StreamLimits, alerts_channel, incidents_channel, series_channel


class Time:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def samples(*series: tuple[str, dict[str, str], int, float]) -> bytes:
    return json.dumps({"type": "samples", "series": [
        {"name": n, "labels": ls, "id": f"{n}{sorted(ls.items())}", "t": t, "v": v} for n, ls, t, v in series
    ]}).encode()


def alert(n: int) -> bytes:
    return json.dumps({"type": "alert", "fingerprint": f"fp{n}", "to": "firing"}).encode()


@pytest.fixture
def hub():
    return StreamHub(MemoryPubSub(), StreamLimits(max_pending_series=3, max_pending_events=2, slow_grace_s=5,
                                                  max_selectors=2), monotonic=Time())


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_selectors_filter_and_samples_are_coalesced(hub):
    client = hub.connect("t1")
    client.subscribe(['cpu{host="a"}'])
    ps = hub._pubsub
    await ps.publish(series_channel("t1"), samples(("cpu", {"host": "a"}, 1, 1.0), ("cpu", {"host": "b"}, 1, 5.0)))
    await ps.publish(series_channel("t1"), samples(("cpu", {"host": "a"}, 3, 3.0)))
    await ps.publish(series_channel("t1"), samples(("cpu", {"host": "a"}, 2, 2.0)))  # late: older than what is held
    await settle()
    messages = await asyncio.wait_for(client.next_messages(), 1)
    assert messages == [{"type": "samples", "series": [
        {"name": "cpu", "labels": {"host": "a"}, "id": "cpu[('host', 'a')]", "t": 3, "v": 3.0}]}]


async def test_tenants_are_isolated_and_events_need_their_subscription(hub):
    mine, theirs = hub.connect("t1"), hub.connect("t2")
    mine.subscribe(["cpu"], alerts=True)
    theirs.subscribe(["cpu"], alerts=True, incidents=True)
    ps = hub._pubsub
    await ps.publish(series_channel("t2"), samples(("cpu", {}, 1, 1.0)))
    await ps.publish(alerts_channel("t2"), alert(1))
    await ps.publish(incidents_channel("t1"), json.dumps({"type": "incident", "change": "opened"}).encode())
    await settle()
    assert mine.pending() == 0  # t2's data, and an incident feed t1's client did not ask for
    assert [m["type"] for m in theirs.take()] == ["alert", "samples"]


async def test_a_slow_client_loses_updates_with_notice_within_the_grace_period(hub):
    client = hub.connect("t1")
    client.subscribe(["cpu"], alerts=True)
    ps = hub._pubsub
    await ps.publish(series_channel("t1"), samples(*[("cpu", {"i": str(i)}, 1, 1.0) for i in range(5)]))
    for n in range(4):
        await ps.publish(alerts_channel("t1"), alert(n))
    await settle()
    assert not client.closed.is_set()
    messages = client.take()
    assert messages[0] == {"type": "overflow", "dropped_series_updates": 2, "dropped_events": 2}
    assert [m.get("fingerprint") for m in messages[1:3]] == ["fp2", "fp3"]  # the newest events kept
    assert len(messages[3]["series"]) == 3
    hub._monotonic.now += 60
    client.check()
    assert not client.closed.is_set()  # it picked up: the clock restarted


async def test_a_client_over_its_bound_past_the_grace_period_is_dropped(hub):
    client = hub.connect("t1")
    client.subscribe([], alerts=True)
    for n in range(3):
        await hub._pubsub.publish(alerts_channel("t1"), alert(n))
    await settle()
    hub._monotonic.now += 4.9
    client.check()
    assert not client.closed.is_set()
    hub._monotonic.now += 0.2
    client.check()
    assert client.closed.is_set() and client.close_code == 1013 and "too slow" in client.close_reason
    assert client.pending() == 0 and await client.next_messages() == []


async def test_subscription_requests_are_checked_whole():
    hub = StreamHub(MemoryPubSub(), StreamLimits(max_selectors=2))
    client = hub.connect("t1", allowed=frozenset({"series"}))
    with pytest.raises(ValidationError) as info:
        client.subscribe(["cpu", "cpu{"])
    assert info.value.field == "series[1]" and client.selectors == {}
    with pytest.raises(PermissionDenied):
        client.subscribe(["cpu"], alerts=True)
    with pytest.raises(LimitExceeded):
        client.subscribe(["a", "b", "c"])
    assert client.subscribe(["cpu", 'mem{host="a"}'])["series"] == ["cpu", 'mem{host="a"}']
    assert client.unsubscribe(["cpu"])["series"] == ['mem{host="a"}']
    assert client.unsubscribe() == {"type": "subscribed", "series": [], "alerts": False, "incidents": False}


async def test_one_subscription_per_tenant_released_with_the_last_client():
    ps = MemoryPubSub()
    hub = StreamHub(ps)
    a, b = hub.connect("t1"), hub.connect("t1")
    await settle()
    assert len(ps._subs[series_channel("t1")]) == 1
    hub.disconnect(a)
    await settle()
    assert len(ps._subs[series_channel("t1")]) == 1 and hub.clients("t1") == 1
    hub.disconnect(b)
    await settle()
    assert not ps._subs[series_channel("t1")] and hub.clients("t1") == 0


async def test_a_broken_feed_drops_its_clients_so_they_reconnect():
    class Broken(MemoryPubSub):
        def subscribe(self, channels):
            async def fail():
                raise ConnectionError("redis went away")
                yield  # pragma: no cover

            return fail()

    hub = StreamHub(Broken())
    client = hub.connect("t1")
    await settle()
    assert client.closed.is_set() and client.close_code == 1011 and hub.clients("t1") == 0


async def test_unreadable_payloads_are_skipped(hub):
    client = hub.connect("t1")
    client.subscribe(["cpu"])
    await hub._pubsub.publish(series_channel("t1"), b"not json")
    await hub._pubsub.publish(series_channel("t1"), b'{"type":"samples","series":[{"name":"cpu"}]}')
    await hub._pubsub.publish(series_channel("t1"), samples(("cpu", {}, 1, 1.0)))
    await settle()
    assert client.pending() == 1
