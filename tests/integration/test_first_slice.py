"""The first slice, end to end over real HTTP on the embedded adapters:

ingest → bus → writer stores → evaluator runs a threshold rule → the alert fires →
the pipeline opens an incident (and starts its workflow) → all visible through the API.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from entrypoints.container import build_container
from entrypoints.runtime import build_app
from entrypoints.settings import Settings

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningServer:
    def __init__(self, tmp: Path) -> None:
        self.settings = Settings(port=_free_port(), data_dir=tmp, agent=False)
        self.container = build_container(self.settings)
        app = build_app(self.container)
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.settings.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "RunningServer":
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        self.key = self.settings.api_key_file.read_text().strip()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    with RunningServer(tmp_path) as s:
        yield s


def wait_for(fetch, predicate, timeout_s: float = 10.0):
    deadline = time.monotonic() + timeout_s
    while True:
        value = fetch()
        if predicate(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout_s}s; last value: {value!r}")
        time.sleep(0.05)


def test_ingest_to_incident_over_http(server: RunningServer) -> None:
    base = f"http://127.0.0.1:{server.settings.port}"
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {server.key}"}, timeout=10)

    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200

    # A rule: the worst latency over 30 s above 0.5 s for 10 s fires.
    rule = client.post("/api/v1/rules", json={
        "name": "HighLatency", "selector": 'http_latency_seconds{service="checkout"}',
        "aggregation": "max", "window": "30s", "op": ">", "threshold": 0.5, "for": "10s",
        "labels": {"severity": "critical"}, "annotations": {"summary": "checkout latency {{ $value }}s on {{ $labels.host }}"},
    })
    assert rule.status_code == 201, rule.text

    now = int(time.time() * 1000)
    t0 = now - 60_000
    samples = [[t0 + i * 5_000, 0.1] for i in range(4)] + [[t0 + 20_000 + i * 5_000, 2.0] for i in range(8)]
    resp = client.post("/api/v1/ingest", json={"series": [
        {"name": "http_latency_seconds", "labels": {"service": "checkout", "host": "web-1"}, "samples": samples},
        {"name": "http_latency_seconds", "labels": {"service": "search", "host": "web-2"}, "samples": [[now, 9.0]]},
    ]})
    assert resp.status_code == 202, resp.text
    assert resp.json() == {"status": "accepted", "series": 2, "samples": 13}

    # The writer stored it: series and range query.
    series = wait_for(lambda: client.get("/api/v1/series", params={"match[]": "http_latency_seconds"}).json()["data"],
                      lambda d: len(d) == 2)
    assert {"__name__": "http_latency_seconds", "service": "checkout", "host": "web-1"} in series
    qr = client.get("/api/v1/query_range", params={
        "query": 'http_latency_seconds{service="checkout"}', "start": str((t0) / 1000), "end": str((t0 + 55_000) / 1000),
        "step": "5s", "fn": "last", "window": "5s",
    }).json()
    values = qr["data"]["result"][0]["values"]
    assert [v for _, v in values] == ["0.1"] * 4 + ["2"] * 8

    # The evaluator fired the alert; the pipeline opened one incident for it.
    alerts = wait_for(lambda: client.get("/api/v1/alerts").json()["data"]["alerts"],
                      lambda a: any(x["state"] == "firing" for x in a))
    firing = [a for a in alerts if a["state"] == "firing"]
    assert len(firing) == 1
    assert firing[0]["labels"] == {"alertname": "HighLatency", "service": "checkout", "host": "web-1", "severity": "critical"}
    assert firing[0]["annotations"]["summary"] == "checkout latency 2s on web-1"

    incidents = wait_for(lambda: client.get("/api/v1/incidents").json()["data"], lambda d: len(d) == 1)
    incident = incidents[0]
    assert incident["status"] == "triggered"
    assert incident["severity"] == "SEV1"
    assert incident["alerts"] == [firing[0]["fingerprint"]]
    assert incident["title"] == "checkout latency 2s on web-1"

    # The workflow engine was asked to start the incident's workflow.
    runs = asyncio.run(server.container.workflows().runs())
    assert [(r.workflow, r.workflow_id) for r in runs] == [("IncidentWorkflow", incident["id"])]

    # A responder acknowledges through the API.
    acked = client.post(f"/api/v1/incidents/{incident['id']}/acknowledge")
    assert acked.status_code == 200, acked.text
    assert acked.json()["data"]["status"] == "acknowledged"
    again = client.post(f"/api/v1/incidents/{incident['id']}/acknowledge")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
