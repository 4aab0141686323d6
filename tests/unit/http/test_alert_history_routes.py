"""The alert history and the delivery audit through the API."""

from __future__ import annotations

from domain.alerts.fingerprint import fingerprint
from domain.alerts.state import AlertState, AlertTransition
from domain.metrics.labels import LabelSet
from tests.unit.http.conftest import NOW_MS, Api

LABELS = LabelSet.of({"alertname": "DiskFull", "host": "a", "severity": "warning"})


async def fire_and_notify(api: Api) -> str:
    fp = fingerprint(LABELS)
    t = AlertTransition(fp, AlertState.INACTIVE, AlertState.FIRING, NOW_MS, LABELS, 0.97, "default", "r1")
    pipeline = api.container.pipeline()
    await pipeline.process(t, {"summary": "disk full on a"})
    api.clock.advance(30_000)  # the default group_wait
    await pipeline.tick()
    await api.container.task_queue().drain()
    return fp


async def test_the_history_tells_why_and_to_whom(api: Api):
    fp = await fire_and_notify(api)
    resp = await api.client.get(f"/api/v1/alerts/{fp}/history")
    assert resp.status_code == 200, resp.text
    decisions = resp.json()["data"]["decisions"]
    assert [(d["stage"], d["outcome"]) for d in decisions] == [
        ("incident", "incident_opened"), ("route", "routed"), ("group", "grouped"), ("notify", "queued"), ("notify", "delivered"),
    ]
    assert decisions[1]["receiver"] == "default" and decisions[-1]["idempotency_key"]
    assert decisions[0]["at"].endswith("Z")
    empty = await api.client.get("/api/v1/alerts/0000000000000000/history")
    assert empty.json()["data"]["decisions"] == []


async def test_the_delivery_audit(api: Api):
    await fire_and_notify(api)
    resp = await api.client.get("/api/v1/notifications/deliveries")
    assert resp.status_code == 200, resp.text
    [d] = resp.json()["data"]
    assert d["status"] == "sent" and d["receiver"] == "default" and d["channel_type"] == "log"
    assert [(a["number"], a["outcome"]) for a in d["attempts"]] == [(1, "sent")]
    one = await api.client.get(f"/api/v1/notifications/deliveries/{d['idempotency_key']}")
    assert one.json()["data"] == d
    assert (await api.client.get("/api/v1/notifications/deliveries", params={"status": "failed"})).json()["data"] == []
    missing = await api.client.get("/api/v1/notifications/deliveries/nope")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    bad = await api.client.get("/api/v1/notifications/deliveries", params={"status": "lost"})
    assert bad.status_code == 422


async def test_receivers_and_credentials(api: Api):
    resp = await api.client.get("/api/v1/notifications/receivers")
    assert resp.json()["data"] == [{"name": "default", "channels": [{"name": "log-0", "type": "log", "send_resolved": True}]}]
    anonymous = await api.client.get("/api/v1/notifications/deliveries", headers={"Authorization": ""})
    assert anonymous.status_code == 401
