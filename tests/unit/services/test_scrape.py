"""The scrape service on a fake client and a fake clock: what a scrape ingests, ``up``
and the scrape series, failures and timeouts, per-target intervals, and the config."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from adapters.memory.bus import MemoryBus
from adapters.memory.cache import MemoryRateLimiter
from tests.support.clock import FakeClock
from domain.errors import ValidationError
from ports.bus import TELEMETRY_TOPIC
from ports.scrape import ScrapeError, ScrapeResponse
from services.codec import decode_batch
from services.ingest import IngestLimits, IngestService
from services.scrape import ScrapeService, exposition_series
from services.scrape_config import ScrapeTarget, load_scrape_config, parse_scrape_config
from domain.metrics.exposition import parse

NOW_MS = 1_800_000_000_000
TEXT = "text/plain; version=0.0.4; charset=utf-8"
OM = "application/openmetrics-text; version=1.0.0; charset=utf-8"
NODE_PAGE = b"""# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
# TYPE node_cpu_seconds_total counter
node_cpu_seconds_total{cpu="0",mode="idle"} 552.21
node_cpu_seconds_total{cpu="0",mode="user"} 12.5
# TYPE node_load1 gauge
node_load1 0.42
"""


class FakeClient:
    """Pages by URL: a ScrapeResponse, an exception to raise, or "hang". Each answer
    takes ``latency_ms`` on the fake clock."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.pages: dict[str, object] = {}
        self.requests: list[tuple[str, dict[str, str], float]] = []
        self.latency_ms = 25
        self.closed = False

    async def fetch(self, url, *, headers, timeout_s, max_bytes):
        self.requests.append((url, dict(headers), timeout_s))
        page = self.pages[url]
        if page == "hang":
            await asyncio.Event().wait()
        if isinstance(page, Exception):
            raise page
        self.clock.advance(self.latency_ms)
        return page

    async def close(self):
        self.closed = True


class Rig:
    def __init__(self, targets: list[dict], limits: IngestLimits | None = None) -> None:
        self.clock = FakeClock(NOW_MS)
        self.bus = MemoryBus(partitions=2)
        self.ingest = IngestService(self.bus, self.clock, MemoryRateLimiter(), limits or IngestLimits())
        self.client = FakeClient(self.clock)
        self.config = parse_scrape_config({"targets": targets}, "t1")
        self.service = ScrapeService(self.client, self.ingest, self.clock, self.config,
                                     monotonic=lambda: self.clock.now_ms() / 1000)
        self._consumer = None

    async def published(self) -> dict[tuple[str, tuple], tuple[int, float, str]]:
        """Everything on the telemetry topic since the last call: (name, labels) -> (t, v, kind)."""
        if self._consumer is None:
            self._consumer = await self.bus.subscribe([TELEMETRY_TOPIC], "test")
        out = {}
        for m in await self._consumer.poll(timeout_s=0.01):
            batch = decode_batch(m.value)
            assert batch.tenant == "t1"
            for s in batch.series:
                for smp in s.samples:
                    out[(s.key.name, s.key.labels.pairs)] = (smp.timestamp_ms, smp.value, s.kind.value)
        return out


def target(**over) -> dict:
    return {"job": "node", "url": "http://host-a:9100/metrics", "interval": "15s", "timeout": "5s", **over}


A = (("instance", "host-a:9100"), ("job", "node"))


async def test_a_scrape_ingests_the_page_with_target_labels_and_up():
    rig = Rig([target(labels={"env": "prod"})])
    rig.client.pages["http://host-a:9100/metrics"] = ScrapeResponse(200, TEXT, NODE_PAGE)
    report = await rig.service.scrape(rig.service.targets[0])
    assert report.up and report.error == "" and report.samples_scraped == 3
    got = await rig.published()
    labels = (("env", "prod"), *A)
    assert got[("up", labels)] == (NOW_MS, 1.0, "gauge")
    assert got[("scrape_samples_scraped", labels)][1] == 3.0
    assert got[("scrape_duration_seconds", labels)][1] == pytest.approx(0.025, abs=1e-3)
    assert got[("node_cpu_seconds_total", (("cpu", "0"), ("env", "prod"), *A[:1], ("job", "node"), ("mode", "idle")))] == (
        NOW_MS, 552.21, "counter")
    assert got[("node_load1", labels)] == (NOW_MS, 0.42, "gauge")
    url, headers, timeout = rig.client.requests[0]
    assert headers["Accept"] == "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
    assert headers["X-Prometheus-Scrape-Timeout-Seconds"] == "5" and timeout == 5.0


@pytest.mark.parametrize("page, reason", [
    (ScrapeError("[Errno 111] Connection refused"), "Connection refused"),
    (ScrapeResponse(503, TEXT, b"busy"), "HTTP status 503"),
    (ScrapeResponse(200, TEXT, b"bad{ 1\n"), "line 1"),
    (ScrapeResponse(200, OM, b"a 1\n"), "# EOF"),
])
async def test_a_failing_target_gets_up_0_and_a_logged_reason(page, reason, caplog):
    rig = Rig([target()])
    rig.client.pages["http://host-a:9100/metrics"] = page
    report = await rig.service.scrape(rig.service.targets[0])
    assert not report.up and reason in report.error
    got = await rig.published()
    assert got[("up", A)][1] == 0.0 and got[("scrape_samples_scraped", A)][1] == 0.0
    assert set(name for name, _ in got) == {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
    assert any(reason in r.getMessage() and "host-a:9100" in r.getMessage() for r in caplog.records)


async def test_the_reason_is_logged_when_it_changes_not_every_interval(caplog):
    caplog.set_level(logging.INFO, "services.scrape")
    rig = Rig([target()])
    rig.client.pages["http://host-a:9100/metrics"] = ScrapeError("refused")
    t = rig.service.targets[0]
    for _ in range(3):
        await rig.service.scrape(t)
    assert sum("is down" in r.getMessage() for r in caplog.records) == 1
    rig.client.pages["http://host-a:9100/metrics"] = ScrapeResponse(200, TEXT, NODE_PAGE)
    await rig.service.scrape(t)
    assert any("is up again" in r.getMessage() for r in caplog.records)


async def test_a_target_that_does_not_answer_times_out():
    rig = Rig([target(interval="1s", timeout="50ms")])
    rig.client.pages["http://host-a:9100/metrics"] = "hang"
    report = await asyncio.wait_for(rig.service.scrape(rig.service.targets[0]), 5)
    assert not report.up and "timeout of 0.05s" in report.error
    assert (await rig.published())[("up", A)][1] == 0.0


async def test_samples_rejected_by_ingest_fail_the_scrape_but_up_is_recorded():
    rig = Rig([target()])
    rig.client.pages["http://host-a:9100/metrics"] = ScrapeResponse(200, TEXT, b'x{a="' + b"v" * 2000 + b'"} 1\n')
    report = await rig.service.scrape(rig.service.targets[0])
    assert not report.up and "samples rejected" in report.error and "max_value_length" not in report.error
    got = await rig.published()
    assert got[("up", A)][1] == 0.0 and ("x", ()) not in got


async def test_sample_limit():
    rig = Rig([target(sample_limit=2)])
    rig.client.pages["http://host-a:9100/metrics"] = ScrapeResponse(200, TEXT, NODE_PAGE)
    report = await rig.service.scrape(rig.service.targets[0])
    assert not report.up and "sample_limit of 2" in report.error


async def test_openmetrics_timestamps_are_seconds_and_created_samples_are_dropped():
    rig = Rig([target()])
    ts = NOW_MS / 1000 - 60
    page = f"""# TYPE jobs counter
jobs_total 7 {ts}
jobs_created 1.7e9
# TYPE old gauge
old 1 1000
# EOF
""".encode()
    rig.client.pages["http://host-a:9100/metrics"] = ScrapeResponse(200, OM, page)
    report = await rig.service.scrape(rig.service.targets[0])
    assert report.up and report.samples_scraped == 3
    got = await rig.published()
    assert got[("jobs_total", A)] == (NOW_MS - 60_000, 7.0, "counter")
    assert ("jobs_created", A) not in got
    assert ("old", A) not in got  # outside the accepted window: dropped, the scrape still up


async def test_large_pages_are_split_into_batches_within_the_ingest_limits():
    rig = Rig([target()], IngestLimits(max_series_per_batch=10))
    page = "".join(f'm{{i="{i}"}} {i}\n' for i in range(35)).encode()
    rig.client.pages["http://host-a:9100/metrics"] = ScrapeResponse(200, TEXT, page)
    report = await rig.service.scrape(rig.service.targets[0])
    assert report.up and report.series_ingested == 35
    assert len([k for k in await rig.published() if k[0] == "m"]) == 35


def test_label_clashes_are_exported_unless_honor_labels():
    fams = parse(b'm{job="app",instance="x",exported_job="y"} 1\nn{__meta="z"} 2\n', TEXT)
    plain = ScrapeTarget("node", "http://h:1/metrics", labels=(("instance", "h:1"), ("job", "node")))
    series = exposition_series(fams, plain, NOW_MS)
    # As Prometheus: exported_job is taken (by the page), so the clashing job goes one further.
    assert series[0].labels == {"job": "node", "instance": "h:1", "exported_job": "y",
                                "exported_exported_job": "app", "exported_instance": "x"}
    assert series[1].labels == {"job": "node", "instance": "h:1"}
    honored = ScrapeTarget("node", "http://h:1/metrics", labels=plain.labels, honor_labels=True)
    assert exposition_series(fams, honored, NOW_MS)[0].labels == {"job": "app", "instance": "x", "exported_job": "y"}
    assert exposition_series(parse(b"m 1 5\n", TEXT), honored, NOW_MS)[0].samples == [[5, 1.0]]
    no_ts = ScrapeTarget("node", "http://h:1/metrics", labels=plain.labels, honor_timestamps=False)
    assert exposition_series(parse(b"m 1 5\n", TEXT), no_ts, NOW_MS)[0].samples == [[NOW_MS, 1.0]]


async def test_each_target_is_scraped_at_its_own_interval():
    rig = Rig([target(interval="1s", timeout="500ms"),
               target(job="slow", url="http://host-b:9100/metrics", interval="5s", timeout="1s")])
    for t in rig.service.targets:
        rig.client.pages[t.url] = ScrapeResponse(200, TEXT, NODE_PAGE)
    rig.client.latency_ms = 0
    start = rig.clock.now_ms() / 1000
    for t in rig.service.targets:  # the phase spreads targets inside their interval
        assert start <= rig.service.next_due(t) < start + t.interval_ms / 1000
    counts = {"node": 0, "slow": 0}
    for _ in range(100):  # 10 seconds in 100ms steps
        for r in await rig.service.run_due():
            counts[r.target.job] += 1
        rig.clock.advance(100)
    assert counts == {"node": 10, "slow": 2}


async def test_missed_intervals_are_skipped_not_replayed():
    rig = Rig([target(interval="1s", timeout="500ms")])
    rig.client.pages[rig.service.targets[0].url] = ScrapeResponse(200, TEXT, NODE_PAGE)
    rig.clock.advance(60_000)  # the process was stopped for a minute
    assert len(await rig.service.run_due()) == 1
    assert await rig.service.run_due() == []
    assert rig.service.next_due(rig.service.targets[0]) <= rig.clock.now_ms() / 1000 + 1


async def test_run_scrapes_until_stopped_and_closes_the_client():
    rig = Rig([target(interval="100ms", timeout="50ms")])
    rig.client.pages[rig.service.targets[0].url] = ScrapeResponse(200, TEXT, NODE_PAGE)
    real = ScrapeService(rig.client, rig.ingest, rig.clock, rig.config)  # real monotonic clock
    stop = asyncio.Event()
    task = asyncio.create_task(real.run(stop))
    for _ in range(100):
        await asyncio.sleep(0.02)
        if rig.client.requests:
            break
    stop.set()
    await asyncio.wait_for(task, 5)
    assert rig.client.requests and rig.client.closed
    assert (await rig.published())[("up", A)][1] == 1.0


@pytest.mark.parametrize("doc, field", [
    ({"targets": [{"url": "http://a:1/metrics"}]}, "targets[0].job"),
    ({"targets": [{"job": "j", "url": "ftp://a/metrics"}]}, "targets[0].url"),
    ({"targets": [{"job": "j", "url": "http://a:1/m", "interval": "1s", "timeout": "2s"}]}, "targets[0].timeout"),
    ({"targets": [{"job": "j", "url": "http://a:1/m", "labels": {"job": "x"}}]}, "targets[0].labels.job"),
    ({"targets": [{"job": "j", "url": "http://a:1/m", "labels": {"bad-name": "x"}}]}, "targets[0].labels.bad-name"),
    ({"targets": [{"job": "j", "url": "http://a:1/m", "scheme": "https"}]}, "targets[0].scheme"),
    ({"targets": [{"job": "j", "url": "http://a:1/m"}, {"job": "j", "url": "http://a:1/m"}]}, "targets[1]"),
    ({"tenant": "Not A Tenant", "targets": []}, "tenant"),
])
def test_config_errors_name_the_field(doc, field):
    with pytest.raises(ValidationError) as info:
        parse_scrape_config(doc)
    assert info.value.field == field


def test_config_file_defaults_and_instance(tmp_path):
    path = tmp_path / "scrape.json"
    path.write_text(json.dumps({"interval": "30s", "targets": [
        {"job": "node", "url": "http://user:pw@127.0.0.1:9100/metrics", "headers": {"Authorization": "Bearer s3cret"}},
        {"job": "app", "url": "https://app.internal/metrics", "interval": 5, "labels": {"instance": "app-1"}},
    ]}))
    node, app = load_scrape_config(path, "default").targets
    assert (node.interval_ms, node.timeout_ms, node.instance, node.tenant) == (30_000, 10_000, "127.0.0.1:9100", "default")
    assert (app.interval_ms, app.timeout_ms, app.instance) == (5_000, 5_000, "app-1")
    assert "s3cret" not in repr(node)  # headers may carry credentials: never in logs
    assert load_scrape_config(None).targets == ()
    with pytest.raises(ValidationError, match="cannot read"):
        load_scrape_config(tmp_path / "missing.json")
