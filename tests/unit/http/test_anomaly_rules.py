"""Anomaly rules through the API: created with a detector and a level, refused with the
field named when either is missing or unknown, and evaluated on the ingested stream."""

from __future__ import annotations

import random

from tests.unit.http.conftest import NOW_MS, Api

RULE = {"type": "anomaly", "name": "LatencyOdd", "selector": 'latency{service="checkout"}', "detector": "ewma",
        "level": 0.99, "labels": {"severity": "warning"}}


async def test_an_anomaly_rule_is_created_and_listed(api: Api):
    resp = await api.client.post("/api/v1/rules", json=RULE)
    assert resp.status_code == 201, resp.text
    rule = resp.json()["data"]
    assert (rule["type"], rule["detector"], rule["level"]) == ("anomaly", "ewma", 0.99)
    listed = (await api.client.get("/api/v1/rules")).json()["data"]
    assert [r["id"] for r in listed] == [rule["id"]]


async def test_detector_and_level_are_checked(api: Api):
    for body, field in (({**RULE, "detector": "crystal-ball"}, "detector"), ({**RULE, "detector": None}, "detector"),
                        ({**RULE, "level": None}, "level"), ({**RULE, "level": 1.5}, "level")):
        resp = await api.client.post("/api/v1/rules", json=body)
        assert resp.status_code == 422, resp.text
        assert resp.headers["content-type"] == "application/problem+json"
        assert resp.json()["field"] == field, resp.json()
    assert "ewma" in (await api.client.post("/api/v1/rules", json={**RULE, "detector": "crystal-ball"})).json()["detail"]


async def test_a_spike_fires_the_anomaly_rule(api: Api):
    assert (await api.client.post("/api/v1/rules", json=RULE)).status_code == 201
    rng = random.Random(5)
    t0 = NOW_MS - 3_600_000
    samples = [[t0 + i * 10_000, 100 + rng.gauss(0, 2)] for i in range(200)] + [[t0 + 200 * 10_000, 400.0]]
    resp = await api.client.post("/api/v1/ingest", json={"series": [
        {"name": "latency", "labels": {"service": "checkout"}, "samples": samples}]})
    assert resp.status_code == 202, resp.text
    bus = api.container.bus()
    consumer = await bus.subscribe(["telemetry"], "evaluator")
    await api.container.evaluator().handle(await consumer.poll(timeout_s=0.01))
    [alert] = (await api.client.get("/api/v1/alerts")).json()["data"]["alerts"]
    assert alert["state"] == "firing" and alert["labels"]["alertname"] == "LatencyOdd"
    assert alert["firedAt"] is not None
