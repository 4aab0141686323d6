"""Real clients against our real server (uvicorn, embedded adapters):

1. the OpenTelemetry Python SDK's OTLP/HTTP exporter (protobuf, and gzip + delta +
   exponential histograms) sends counters, gauges and histograms;
2. a real Prometheus (Debian ``prometheus``) scrapes a real node exporter and itself,
   and remote-writes (1.0: the Debian version, 2.42, predates remote write 2.0, which
   the unit tests cover with hand-built payloads) to us;
3. a real Alertmanager (Debian ``prometheus-alertmanager``) posts its webhook to us.

Each external process runs on free loopback ports with its own config and data in the
test's tmp directory. A missing binary fails the test with the package to install;
it never skips.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from tests.integration.test_first_slice import RunningServer, _free_port, wait_for

pytestmark = pytest.mark.integration

BINARIES = {
    "prometheus": "Debian package 'prometheus'",
    "prometheus-alertmanager": "Debian package 'prometheus-alertmanager'",
    "prometheus-node-exporter": "Debian package 'prometheus-node-exporter'",
}


def binary(name: str) -> str:
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path is None:
        pytest.fail(f"{name} is not installed: install the {BINARIES[name]} (apt-get install {name})", pytrace=False)
    return path


class Server(RunningServer):
    """The first slice's server, on an event loop we can reach from the test thread."""

    def __init__(self, tmp: Path) -> None:
        super().__init__(tmp)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=lambda: self.loop.run_until_complete(self.server.serve()), daemon=True)

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        if not self.thread.is_alive():
            self.loop.close()

    def call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.settings.port}"

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {self.key}"}, timeout=10)

    def ingest_key(self) -> str:
        _, key = self.call(self.container.api_keys().create_api_key("default", "ingest only", ["ingest"]))
        return key


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with Server(tmp_path / "observer") as s:
        yield s


class Process:
    """An external binary with its output in a log file, stopped (by its own pid) at exit."""

    def __init__(self, args: list[str], log: Path, ready_url: str) -> None:
        self.args, self.log, self.ready_url = args, log, ready_url

    def __enter__(self) -> "Process":
        self._log = self.log.open("wb")
        self.proc = subprocess.Popen(self.args, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.args[0]} exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if httpx.get(self.ready_url, timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.__exit__()
                raise AssertionError(f"{self.args[0]} was not ready at {self.ready_url} in 20 s:\n{self.tail()}")
            time.sleep(0.1)

    def tail(self) -> str:
        self._log.flush()
        return self.log.read_text(errors="replace")[-3000:]

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self._log.close()


def series(client: httpx.Client, match: str) -> list[dict]:
    return client.get("/api/v1/series", params={"match[]": match}).json()["series"]


def last_value(client: httpx.Client, query: str) -> str | None:
    now = time.time()
    result = client.get("/api/v1/query_range", params={"query": query, "start": str(now - 120), "end": str(now + 5),
                                                       "step": "125s", "window": "125s"}).json()["data"]["result"]
    return result[0]["values"][-1][1] if result else None


# -- 1. OpenTelemetry SDK ------------------------------------------------------------------


def test_opentelemetry_sdk_metrics_arrive(server: Server) -> None:
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider
    from opentelemetry.sdk.metrics.export import AggregationTemporality, PeriodicExportingMetricReader
    from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
    from opentelemetry.sdk.resources import Resource

    key = server.ingest_key()
    resource = Resource.create({"service.name": "shop", "service.namespace": "acme", "service.instance.id": "i-1",
                                "deployment.environment": "test"})

    def provider(views=(), **exporter_args) -> MeterProvider:
        exporter = OTLPMetricExporter(endpoint=f"{server.base}/v1/metrics", headers={"Authorization": f"Bearer {key}"},
                                      timeout=10, **exporter_args)
        reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)  # we flush by hand
        return MeterProvider(resource=resource, metric_readers=[reader], views=views)

    cumulative = provider()
    meter = cumulative.get_meter("checkout", "1.4.0")
    orders = meter.create_counter("orders.placed", unit="{order}", description="orders")
    orders.add(3, {"region": "eu"})
    orders.add(2, {"region": "eu"})
    orders.add(1, {"region": "us"})
    sessions = meter.create_up_down_counter("sessions.active")
    sessions.add(5)
    sessions.add(-2)
    queue = meter.create_gauge("queue.size", unit="1")
    queue.set(0.75, {"queue": "mail"})
    latency = meter.create_histogram("checkout.duration", unit="s")
    for v in (0.1, 0.4, 7.0):
        latency.record(v, {"route": "/pay"})
    assert cumulative.force_flush(10_000), "the OTLP exporter reported a failed export"

    delta = provider(
        views=[View(instrument_name="payload.size", aggregation=ExponentialBucketHistogramAggregation())],
        compression=Compression.Gzip,
        preferred_temporality={Counter: AggregationTemporality.DELTA, Histogram: AggregationTemporality.DELTA},
    )
    dmeter = delta.get_meter("uploads")
    dmeter.create_counter("uploads").add(4)
    sizes = dmeter.create_histogram("payload.size", unit="By")
    for v in (100, 300, 5000, 5000):
        sizes.record(v)
    assert delta.force_flush(10_000), "the gzip/delta OTLP export failed"
    cumulative.shutdown()
    delta.shutdown()

    client = server.client()
    [orders_eu] = wait_for(lambda: [s for s in series(client, 'orders_placed_total{region="eu"}')], lambda s: len(s) == 1)
    assert orders_eu["kind"] == "counter"
    assert orders_eu["labels"] == {"region": "eu", "job": "acme/shop", "instance": "i-1", "deployment_environment": "test",
                                   "otel_scope_name": "checkout", "otel_scope_version": "1.4.0"}
    assert last_value(client, 'orders_placed_total{region="eu"}') == "5"
    assert last_value(client, "sessions_active") == "3"
    assert last_value(client, 'queue_size_ratio{queue="mail"}') == "0.75"
    assert last_value(client, 'checkout_duration_seconds_count{route="/pay"}') == "3"
    assert last_value(client, 'checkout_duration_seconds_sum{route="/pay"}') == "7.5"
    assert last_value(client, 'checkout_duration_seconds_bucket{route="/pay",le="5"}') == "2"
    assert last_value(client, 'checkout_duration_seconds_bucket{route="/pay",le="+Inf"}') == "3"
    # delta temporality: stored as the increase, a gauge without _total
    [uploads] = series(client, "uploads")
    assert uploads["kind"] == "gauge" and last_value(client, "uploads") == "4"
    # exponential histogram converted to power-of-two buckets
    le = {s["labels"]["le"] for s in series(client, "payload_size_bytes_bucket")}
    assert {"128", "512", "8192", "+Inf"} <= le, le
    assert last_value(client, 'payload_size_bytes_bucket{le="8192"}') == "4"
    assert series(client, "target_info")


# -- 2. Prometheus remote write ----------------------------------------------------------------


def test_prometheus_remote_write_delivers_scraped_series(server: Server, tmp_path: Path) -> None:
    prometheus, node_exporter = binary("prometheus"), binary("prometheus-node-exporter")
    key = server.ingest_key()
    node_port, prom_port = _free_port(), _free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(json.dumps({  # YAML is a superset of JSON
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {"job_name": "node", "static_configs": [{"targets": [f"127.0.0.1:{node_port}"]}]},
            {"job_name": "prometheus", "static_configs": [{"targets": [f"127.0.0.1:{prom_port}"]}]},
        ],
        "remote_write": [{
            "url": f"{server.base}/api/v1/write",
            "authorization": {"credentials": key},
            "queue_config": {"batch_send_deadline": "500ms", "min_backoff": "100ms", "max_backoff": "1s"},
            "metadata_config": {"send": True, "send_interval": "1s"},
        }],
    }))
    node_args = [node_exporter, f"--web.listen-address=127.0.0.1:{node_port}", "--collector.disable-defaults",
                 "--collector.loadavg", "--collector.time"]
    prom_args = [prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                 f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"]
    with Process(node_args, tmp_path / "node.log", f"http://127.0.0.1:{node_port}/metrics"), \
            Process(prom_args, tmp_path / "prometheus.log", f"http://127.0.0.1:{prom_port}/-/ready") as prom:
        client = server.client()
        try:
            up = wait_for(lambda: series(client, "up"), lambda s: {x["labels"].get("job") for x in s} >= {"node", "prometheus"}, 40)
            load = wait_for(lambda: series(client, "node_load1"), lambda s: len(s) == 1, 20)
        except AssertionError:
            raise AssertionError(f"series did not arrive; Prometheus said:\n{prom.tail()}") from None
        assert {"job": "node", "instance": f"127.0.0.1:{node_port}"} == {k: load[0]["labels"][k] for k in ("job", "instance")}
        assert next(x for x in up if x["labels"]["job"] == "node")["labels"]["instance"] == f"127.0.0.1:{node_port}"
        assert last_value(client, 'up{job="node"}') == "1"
        # Prometheus' own histograms arrive as classic buckets.
        wait_for(lambda: series(client, "prometheus_http_request_duration_seconds_bucket"), lambda s: len(s) > 0, 20)
        # Nothing Prometheus sent was refused (a 4xx would show up as failed samples).
        text = httpx.get(f"http://127.0.0.1:{prom_port}/metrics").text
        failed = [line for line in text.splitlines() if line.startswith("prometheus_remote_storage_samples_failed_total")]
        assert failed and all(float(line.rsplit(" ", 1)[1]) == 0 for line in failed), failed


# -- 3. Alertmanager webhook -----------------------------------------------------------------


def test_alertmanager_webhook_opens_an_incident(server: Server, tmp_path: Path) -> None:
    alertmanager = binary("prometheus-alertmanager")
    key = server.ingest_key()
    port = _free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text(json.dumps({
        "route": {"receiver": "observer", "group_by": ["alertname"], "group_wait": "100ms", "group_interval": "1s",
                  "repeat_interval": "1h"},
        "receivers": [{"name": "observer", "webhook_configs": [{
            "url": f"{server.base}/api/v1/integrations/alertmanager", "send_resolved": True,
            "http_config": {"authorization": {"credentials": key}},
        }]}],
    }))
    args = [alertmanager, f"--config.file={config}", f"--storage.path={tmp_path / 'am'}",
            f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn"]
    with Process(args, tmp_path / "alertmanager.log", f"http://127.0.0.1:{port}/-/ready") as am:
        now = datetime.now(timezone.utc)
        alert = {"labels": {"alertname": "DiskFull", "severity": "critical", "instance": "db-1"},
                 "annotations": {"summary": "Disk full on db-1"}, "startsAt": now.isoformat(),
                 "generatorURL": "http://prometheus.example/graph"}
        assert httpx.post(f"http://127.0.0.1:{port}/api/v2/alerts", json=[alert]).status_code == 200
        client = server.client()
        try:
            alerts = wait_for(lambda: client.get("/api/v1/alerts").json()["data"]["alerts"], lambda a: len(a) == 1, 20)
        except AssertionError:
            raise AssertionError(f"no alert arrived; Alertmanager said:\n{am.tail()}") from None
        assert alerts[0]["state"] == "firing" and alerts[0]["rule_id"] == "external:alertmanager:observer"
        assert alerts[0]["labels"] == alert["labels"]
        incidents = wait_for(lambda: client.get("/api/v1/incidents").json()["data"], lambda d: len(d) == 1, 10)
        assert incidents[0]["title"] == "Disk full on db-1" and incidents[0]["severity"] == "SEV1"
        assert incidents[0]["alerts"] == [alerts[0]["fingerprint"]]

        # Resolve it in Alertmanager: the resolved notification reaches us.
        alert["endsAt"] = datetime.now(timezone.utc).isoformat()
        assert httpx.post(f"http://127.0.0.1:{port}/api/v2/alerts", json=[alert]).status_code == 200
        wait_for(lambda: client.get("/api/v1/alerts").json()["data"]["alerts"], lambda a: a[0]["state"] == "resolved", 20)
