"""The scraper against a real Prometheus node exporter (Debian's prometheus-node-exporter).

Embedded: the API process scrapes (OBSERVER_SCRAPE_CONFIG set, in-process bus), and
the series come back through the HTTP API and the WebSocket stream. Production:
``python -m entrypoints.scrape`` (what ``observer-eye scrape`` runs) as its own process
publishes to a Kafka-protocol broker (tansu). A dead target is scraped alongside and
must report ``up`` 0. Missing binaries fail the tests, saying which; nothing is skipped.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.kafka import KafkaBus, KafkaConfig
from entrypoints.container import build_container
from entrypoints.runtime import build_app
from entrypoints.settings import Settings
from ports.bus import TELEMETRY_TOPIC
from services.codec import decode_batch
from tests.support.node_exporter import NodeExporter
from tests.support.tansu import Tansu, free_port

with warnings.catch_warnings():  # Starlette 1.x suggests httpx2 for its TestClient; httpx works
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def node_exporter() -> Iterator[NodeExporter]:
    with NodeExporter() as exporter:
        yield exporter


def scrape_config(tmp_path: Path, exporter: NodeExporter) -> tuple[Path, str]:
    dead = f"127.0.0.1:{free_port()}"  # nothing listens there
    path = tmp_path / "scrape.json"
    path.write_text(json.dumps({"interval": "2s", "timeout": "2s", "targets": [
        {"job": "node", "url": exporter.url, "labels": {"env": "test"}},
        {"job": "dead", "url": f"http://{dead}/metrics"},
    ]}))
    return path, dead


def eventually(fetch, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while True:
        value = fetch()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen in {timeout_s}s")
        time.sleep(0.25)


def test_the_embedded_stack_scrapes_node_exporter_into_the_api_and_the_stream(tmp_path, node_exporter):
    config, dead = scrape_config(tmp_path, node_exporter)
    container = build_container(Settings(data_dir=tmp_path, agent=False, scrape_config=config))
    with TestClient(build_app(container, with_agent=False)) as client:
        _, key = client.portal.call(container.api_keys().create_api_key, "default", "test", ["read"])
        auth = {"Authorization": f"Bearer {key}"}
        with client.websocket_connect("/api/v1/stream", headers=auth) as ws:
            assert ws.receive_json()["type"] == "hello"
            ws.send_json({"op": "subscribe", "series": ['up{job="node"}']})
            assert ws.receive_json()["type"] == "subscribed"

            def up_values() -> dict[str, str]:
                now = time.time()
                r = client.get("/api/v1/query_range", headers=auth,
                               params={"query": "up", "start": now - 120, "end": now + 5, "step": "1s"})
                assert r.status_code == 200, r.text
                got = {res["metric"]["job"]: res["values"][-1][1] for res in r.json()["data"]["result"]}
                return got if {"node", "dead"} <= set(got) else {}

            up = eventually(up_values, 45, "up for both targets")
            assert up == {"node": "1", "dead": "0"}

            live = ws.receive_json()  # the stream saw the same scrape
            assert live["type"] == "samples" and live["series"][0]["labels"]["instance"].startswith("127.0.0.1:")

        r = client.get("/api/v1/series", headers=auth, params={"match[]": 'node_cpu_seconds_total{mode="idle"}'})
        series = r.json()["series"]
        assert series, "node_cpu_seconds_total did not arrive"
        labels = series[0]["labels"]
        assert labels["job"] == "node" and labels["env"] == "test" and labels["instance"] == f"127.0.0.1:{node_exporter.port}"
        assert series[0]["kind"] == "counter"
        r = client.get("/api/v1/series", headers=auth, params={"match[]": "scrape_samples_scraped"})
        assert {s["labels"]["job"] for s in r.json()["series"]} == {"node", "dead"}
        report = {t.job: r for t in container.scraper().targets if (r := container.scraper().reports.get(t.key))}
        assert report["node"].up and report["node"].samples_scraped > 100
        assert not report["dead"].up and "refused" in report["dead"].error.lower()


def _read_topic(bootstrap: str, seconds: float) -> dict[str, dict[tuple, float]]:
    """Every series published to the telemetry topic within ``seconds``: name -> labels -> value."""

    async def read() -> dict[str, dict[tuple, float]]:
        bus = KafkaBus(KafkaConfig(bootstrap=bootstrap, partitions=4, idempotence=False))
        await bus.start()
        consumer = await bus.subscribe([TELEMETRY_TOPIC], "scrape-test-reader")
        out: dict[str, dict[tuple, float]] = {}
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline and not ({"up", "node_cpu_seconds_total"} <= set(out)
                                                       and len(out["up"]) == 2):
                for m in await consumer.poll(timeout_s=0.5):
                    for s in decode_batch(m.value).series:
                        out.setdefault(s.key.name, {})[s.key.labels.pairs] = s.samples[-1].value
        finally:
            await consumer.close()
            await bus.close()
        return out

    return asyncio.run(read())


def test_observer_eye_scrape_publishes_to_kafka_as_its_own_process(tmp_path, node_exporter):
    config, dead = scrape_config(tmp_path, node_exporter)
    log_path = tmp_path / "scrape.log"
    with Tansu() as broker:
        env = {**os.environ, "OBSERVER_BUS": "kafka", "OBSERVER_KAFKA_BOOTSTRAP": broker.bootstrap,
               "OBSERVER_KAFKA_IDEMPOTENCE": "false", "OBSERVER_BUS_PARTITIONS": "4",
               "OBSERVER_DATA_DIR": str(tmp_path), "OBSERVER_SCRAPE_CONFIG": str(config)}
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "entrypoints.scrape"], cwd=ROOT, env=env,
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            topic = _read_topic(broker.bootstrap, 60)
            assert proc.poll() is None, log_path.read_text()[-3000:]
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise AssertionError(f"the scraper ignored SIGTERM:\n{log_path.read_text()[-3000:]}") from None
        output = log_path.read_text()
        assert code == 0, output[-3000:]
    up = {dict(labels)["job"]: v for labels, v in topic.get("up", {}).items()}
    assert up == {"node": 1.0, "dead": 0.0}, output[-3000:]
    assert any(dict(labels).get("mode") == "idle" for labels in topic["node_cpu_seconds_total"])
    assert f"target dead/{dead} is down" in output


def test_observer_eye_scrape_refuses_the_in_process_bus(tmp_path):
    env = {**os.environ, "OBSERVER_BUS": "memory", "OBSERVER_DATA_DIR": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", "entrypoints.scrape", "--config", str(tmp_path / "x.json")],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "OBSERVER_BUS=kafka" in r.stderr
