"""Sample store upkeep on a schedule: what each round asks of the store, that failures
never stop the loop, that stopping never waits for a round, and that the writer (the
``consume --group writer`` process and the embedded runtime) runs it."""

from __future__ import annotations

import asyncio
import time

import pytest
from fastapi.testclient import TestClient

from tests.support.clock import FakeClock
from adapters.memory.samples import MemorySampleStore
from adapters.sqlite_store import SqliteSampleStore
from domain.metrics.batch import SampleBatch, SeriesSamples
from domain.metrics.query import Selector
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from entrypoints.consume import run_group
from entrypoints.container import build_container
from entrypoints.runtime import build_app
from entrypoints.settings import Settings
from ports.samples import Maintainable
from services.sample_maintenance import DAY_MS, MaintenancePolicy, SampleMaintenance

NOW = 1_800_000_000_000
HOUR = 3_600_000
POLICY = MaintenancePolicy(retention_ms=15 * DAY_MS, compact_after_ms=2 * HOUR, interval_s=0.01)
CPU = SeriesKey.of("acme", "cpu", {"host": "a"})
MEM = SeriesKey.of("acme", "mem", {"host": "a"})


class FakeStore:
    """Records calls; ``fail`` names steps that raise, ``block`` one that never returns."""

    def __init__(self, fail: set[str] = frozenset(), block: str | None = None) -> None:
        self.calls: list[tuple] = []
        self.fail, self.block = set(fail), block
        self.cancelled = False

    async def _step(self, name: str, *args):
        self.calls.append((name, *args))
        if name in self.fail:
            raise RuntimeError(f"{name} is broken")
        if name == self.block:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.cancelled = True
                raise

    async def maintain(self, now_ms: int, retention_ms: int) -> list[str]:
        await self._step("maintain", now_ms, retention_ms)
        return ["oe_chunks_d1"]

    async def compact(self, older_than_ms: int) -> str:
        await self._step("compact", older_than_ms)
        return "3 windows"


def batch(*series: tuple[SeriesKey, list[tuple[int, float]]]) -> SampleBatch:
    return SampleBatch("acme", tuple(SeriesSamples(k, tuple(Sample(t, v) for t, v in pts)) for k, pts in series))


async def test_a_round_drops_by_retention_first_then_compacts_what_is_old_enough():
    store, clock = FakeStore(), FakeClock(NOW)
    maintenance = SampleMaintenance(store, clock, POLICY)
    done = await maintenance.run_once()
    assert store.calls == [("maintain", NOW, 15 * DAY_MS), ("compact", NOW - 2 * HOUR)]
    assert (done.at_ms, done.dropped, done.compaction, done.errors) == (NOW, ["oe_chunks_d1"], "3 windows", [])
    clock.advance(HOUR)
    await maintenance.run_once()
    assert store.calls[2:] == [("maintain", NOW + HOUR, 15 * DAY_MS), ("compact", NOW - HOUR)]
    assert maintenance.rounds == 2


async def test_a_failing_step_is_recorded_and_the_other_still_runs():
    store = FakeStore(fail={"maintain"})
    done = await SampleMaintenance(store, FakeClock(NOW), POLICY).run_once()
    assert [c[0] for c in store.calls] == ["maintain", "compact"]
    assert done.compaction == "3 windows" and done.errors == ["maintain: RuntimeError('maintain is broken')"]
    store = FakeStore(fail={"maintain", "compact"})
    done = await SampleMaintenance(store, FakeClock(NOW), POLICY).run_once()
    assert len(done.errors) == 2


async def test_the_loop_repeats_survives_failures_and_stops_when_told():
    store = FakeStore(fail={"compact"})
    maintenance, stop = SampleMaintenance(store, FakeClock(NOW), POLICY), asyncio.Event()
    task = asyncio.create_task(maintenance.run(stop))
    deadline = time.monotonic() + 5
    while maintenance.rounds < 3:
        assert time.monotonic() < deadline and not task.done()
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 1)


async def test_stopping_cancels_a_round_in_progress():
    store = FakeStore(block="compact")
    stop = asyncio.Event()
    task = asyncio.create_task(SampleMaintenance(store, FakeClock(NOW), POLICY).run(stop))
    while not store.calls or store.calls[-1][0] != "compact":
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 1)
    assert store.cancelled


def test_a_policy_refuses_nonsense():
    for bad in ({"retention_ms": 0}, {"compact_after_ms": -1}, {"interval_s": 0}):
        with pytest.raises(ValueError):
            MaintenancePolicy(**bad)


async def test_memory_store_retention_drops_old_samples_and_emptied_series():
    store, clock = MemorySampleStore(), FakeClock(NOW)
    assert isinstance(store, Maintainable)
    old, recent = NOW - 20 * DAY_MS, NOW - DAY_MS
    await store.write([batch((CPU, [(old, 1.0), (recent, 2.0)]), (MEM, [(old, 3.0)]))])
    done = await SampleMaintenance(store, clock, POLICY).run_once()
    assert done.dropped == [f"2 samples before {NOW - 15 * DAY_MS} (1 series emptied)"] and not done.errors
    got = await store.select("acme", Selector.parse('{host="a"}'), 0, NOW)
    assert [(d.key, d.samples) for d in got] == [(CPU, [Sample(recent, 2.0)])]
    assert await store.count_series("acme") == 1
    assert (await SampleMaintenance(store, clock, POLICY).run_once()).dropped == []


async def test_sqlite_store_retention_drops_old_samples_and_emptied_series(tmp_path):
    store = SqliteSampleStore(tmp_path / "samples.db")
    try:
        assert isinstance(store, Maintainable)
        old, recent = NOW - 20 * DAY_MS, NOW - DAY_MS
        await store.write([batch((CPU, [(old, 1.0), (recent, 2.0)]), (MEM, [(old, 3.0)]))])
        done = await SampleMaintenance(store, FakeClock(NOW), POLICY).run_once()
        assert done.dropped == [f"2 samples before {NOW - 15 * DAY_MS} (1 series emptied)"] and not done.errors
        got = await store.select("acme", Selector.parse('{host="a"}'), 0, NOW)
        assert [(d.key, d.samples) for d in got] == [(CPU, [Sample(recent, 2.0)])]
        (info,) = await store.series("acme", [], None, None, 10)
        assert (info.key, info.first_seen_ms, info.last_seen_ms) == (CPU, recent, recent)
    finally:
        await store.close()


# ----------------------------------------------------------------- wiring


def test_the_container_builds_it_from_settings_for_stores_that_keep_upkeep(tmp_path):
    s = Settings(data_dir=tmp_path, samples_retention_days=3, samples_compact_after_s=600, samples_maintenance_interval_s=60)
    maintenance = build_container(s).sample_maintenance()
    assert maintenance.policy == MaintenancePolicy(3 * DAY_MS, 600_000, 60.0)
    assert build_container(Settings(data_dir=tmp_path, samples_maintenance=False)).sample_maintenance() is None
    container = build_container(Settings(data_dir=tmp_path))
    from dependency_injector import providers

    container.sample_store.override(providers.Object(object()))  # a store without upkeep
    assert container.sample_maintenance() is None


async def test_the_writer_process_runs_it_next_to_the_consumer(tmp_path):
    container = build_container(Settings(data_dir=tmp_path, samples_maintenance_interval_s=0.01))
    stop = asyncio.Event()
    task = asyncio.create_task(run_group(container, "writer", stop))
    deadline = time.monotonic() + 5
    while container.sample_maintenance().rounds < 2:
        assert time.monotonic() < deadline and not task.done()
        await asyncio.sleep(0.01)
    stop.set()
    assert await asyncio.wait_for(task, 5) == 0
    rounds = container.sample_maintenance().rounds
    await asyncio.sleep(0.05)
    assert container.sample_maintenance().rounds == rounds  # stopped with the consumer


async def test_other_consumer_groups_do_not_run_it(tmp_path):
    container = build_container(Settings(data_dir=tmp_path, samples_maintenance_interval_s=0.01))
    stop = asyncio.Event()
    task = asyncio.create_task(run_group(container, "evaluator", stop))
    await asyncio.sleep(0.1)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert container.sample_maintenance().rounds == 0


def test_the_embedded_runtime_runs_it_while_it_runs_the_writer(tmp_path):
    container = build_container(Settings(data_dir=tmp_path, agent=False, samples_maintenance_interval_s=0.01))
    with TestClient(build_app(container, with_agent=False)):
        deadline = time.monotonic() + 5
        while container.sample_maintenance().rounds < 2:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    rounds = container.sample_maintenance().rounds
    time.sleep(0.05)
    assert container.sample_maintenance().rounds == rounds
