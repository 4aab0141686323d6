"""The engine's protections and interface: limits checked before samples are read,
deadlines and cancellation, evaluation off the event loop, a cap on each tenant's
concurrent queries, statistics, metadata queries, and the container building it."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from adapters.memory.samples import MemorySampleStore
from domain.errors import QueryLimitExceeded, QueryTimeout
from domain.metrics.batch import SampleBatch, SeriesSamples
from domain.metrics.kinds import MetricKind
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from domain.promql.errors import PromQLSyntaxError
from entrypoints.container import build_container
from entrypoints.settings import Settings
from services.promql import PromQLEngine, QueryLimits, prometheus_error_type

MINUTE = 60_000


class CountingStore(MemorySampleStore):
    """The in-memory store, counting sample reads (so a test sees none happened)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def read_arrays(self, tenant, keys, start_ms, end_ms):
        self.reads += 1
        return await super().read_arrays(tenant, keys, start_ms, end_ms)


class GatedPool(ThreadPoolExecutor):
    """A thread pool whose first job waits for ``release()``: a test can keep one
    evaluation running as long as it needs, and count the jobs that started."""

    def __init__(self, workers: int = 4) -> None:
        super().__init__(workers)
        self.gate = threading.Event()
        self.started = 0
        self._lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):
        with self._lock:
            self.started += 1
            first = self.started == 1

        def job():
            if first:
                self.gate.wait(30)
            return fn(*args, **kwargs)

        return super().submit(job)

    def release(self) -> None:
        self.gate.set()


async def store_with(*tenants: str, series: int = 3, samples: int = 10) -> CountingStore:
    """``series`` series ``up{instance="i<n>"}`` of ``samples`` samples 15 s apart, per tenant."""
    store = CountingStore()
    for tenant in tenants or ("acme",):
        batch = [SeriesSamples(SeriesKey.of(tenant, "up", {"instance": f"i{i}", "job": "node"}),
                               tuple(Sample(t * 15_000, float(i)) for t in range(samples)), MetricKind.GAUGE, "")
                 for i in range(series)]
        await store.write([SampleBatch(tenant, tuple(batch))])
    return store


async def test_a_query_over_the_series_limit_is_refused_before_any_sample_is_read():
    store = await store_with(series=3)
    engine = PromQLEngine(store, QueryLimits(max_series=2))
    with pytest.raises(QueryLimitExceeded) as caught:
        await engine.instant("acme", "up", 100_000)
    assert caught.value.limit == "max_series_per_query" and caught.value.value == 2
    assert prometheus_error_type(caught.value) == "execution"
    assert store.reads == 0


async def test_a_query_over_the_sample_limit_is_refused_before_any_sample_is_read():
    store = await store_with(series=3, samples=10)
    engine = PromQLEngine(store, QueryLimits(max_samples=25))
    with pytest.raises(QueryLimitExceeded) as caught:
        await engine.range("acme", "max_over_time(up[1h])", 0, 150_000, 15_000)
    assert caught.value.limit == "max_samples_per_query"
    assert store.reads == 0
    assert len(await engine.instant("acme", 'up{instance="i0"}', 100_000)) == 1  # 10 samples: within the limit


async def test_points_and_resolution_are_limited():
    engine = PromQLEngine(await store_with(series=3), QueryLimits(max_points=100))
    with pytest.raises(QueryLimitExceeded) as caught:
        await engine.range("acme", "up", 0, 600_000, 15_000)  # 3 series x 41 steps
    assert caught.value.limit == "max_points_per_query"
    with pytest.raises(PromQLSyntaxError, match="exceeded maximum resolution of 11,000 points per timeseries"):
        await engine.range("acme", "up", 0, 11_001 * 1000, 1000)  # (end - start) / step over 11,000
    with pytest.raises(PromQLSyntaxError, match='invalid expression type "range vector" for range query'):
        await engine.range("acme", "up[5m]", 0, 60_000, 15_000)


async def test_a_query_past_its_deadline_times_out_and_its_evaluation_stops():
    pool = GatedPool()
    engine = PromQLEngine(await store_with(), QueryLimits(timeout_s=0.05), executor=pool)
    with pytest.raises(QueryTimeout) as caught:
        await engine.instant("acme", "up", 100_000)  # held in the pool past its deadline
    assert prometheus_error_type(caught.value) == "timeout"
    pool.release()  # the held evaluation resumes, finds itself cancelled and stops
    assert len(await engine.instant("acme", "up", 100_000)) == 3
    pool.shutdown()


async def test_a_cancelled_query_stops_and_the_engine_goes_on_serving():
    pool = GatedPool()
    engine = PromQLEngine(await store_with(), executor=pool)
    task = asyncio.create_task(engine.instant("acme", "up", 100_000))
    while pool.started == 0:
        await asyncio.sleep(0.001)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    pool.release()
    assert len(await engine.instant("acme", "sum(up)", 100_000)) == 1
    pool.shutdown()


async def test_other_queries_are_served_while_one_evaluates():
    """Evaluation runs in the pool: while one query is held there, the event loop keeps
    going and another tenant's query is answered."""
    store = await store_with("acme", "globex")
    pool = GatedPool()
    engine = PromQLEngine(store, executor=pool)
    heavy = asyncio.create_task(engine.range("acme", "quantile_over_time(0.5, up[1h])", 0, 150_000, 1_000))
    while pool.started == 0:
        await asyncio.sleep(0.001)
    light = await engine.instant("globex", "count(up)", 100_000)
    assert light.values.tolist() == [3.0]
    assert not heavy.done()
    pool.release()
    assert len(await heavy) == 3
    pool.shutdown()


async def test_a_tenant_runs_at_most_its_share_of_queries_at_once():
    store = await store_with("acme", "globex")
    pool = GatedPool()
    engine = PromQLEngine(store, QueryLimits(max_concurrent_per_tenant=1), executor=pool)
    first = asyncio.create_task(engine.instant("acme", "up", 100_000))
    while pool.started == 0:
        await asyncio.sleep(0.001)
    second = asyncio.create_task(engine.instant("acme", "sum(up)", 100_000))
    assert len(await engine.instant("globex", "up", 100_000)) == 3  # another tenant is not held up
    assert pool.started == 2  # acme's second query waits for acme's slot: it never reached the pool
    assert not second.done()
    pool.release()
    assert len(await first) == 3 and len(await second) == 1
    assert pool.started == 3
    pool.shutdown()


async def test_statistics_count_what_the_query_read():
    engine = PromQLEngine(await store_with(series=3, samples=10))
    result = await engine.range("acme", "rate(up[1m])", 60_000, 120_000, 15_000)
    assert result.stats.series_read == 3
    assert result.stats.samples_read == 3 * 9  # samples in [0, 120 s]: the one at 135 s is outside
    assert result.stats.result_points == sum(p[0].size for p in result.points)
    assert {"read", "eval", "total"} <= set(result.stats.timings)


async def test_lookback_is_a_query_parameter():
    engine = PromQLEngine(await store_with(samples=10))  # last sample at 135 s
    assert len(await engine.instant("acme", "up", 135_000 + 60_000)) == 3
    assert len(await engine.instant("acme", "up", 135_000 + 60_000, lookback_ms=30_000)) == 0


async def test_series_and_label_metadata():
    engine = PromQLEngine(await store_with(series=2))
    assert await engine.series("acme", ['up{instance="i1"}'], None, None) == [
        (("__name__", "up"), ("instance", "i1"), ("job", "node"))]
    assert await engine.label_names("acme") == (["__name__", "instance", "job"], False)
    assert await engine.label_values("acme", "instance", ["up"]) == (["i0", "i1"], False)
    assert engine.format_query("sum(up) by (job)") == "sum by (job) (up)"
    with pytest.raises(PromQLSyntaxError):
        await engine.series("acme", ["sum(up)"], None, None)


async def test_label_metadata_read_from_too_many_series_says_it_is_partial():
    engine = PromQLEngine(await store_with(series=3), QueryLimits(max_series=2))
    names, partial = await engine.label_names("acme")
    values, values_partial = await engine.label_values("acme", "instance")
    assert partial and values_partial
    assert len(values) == 2  # from the first two series of three


def test_the_container_builds_the_engine_from_settings(tmp_path):
    s = Settings(data_dir=tmp_path, promql_max_series=7, promql_max_samples=8, promql_timeout_s=9,
                 promql_max_concurrent_per_tenant=3)
    engine = build_container(s).promql()
    assert isinstance(engine, PromQLEngine)
    assert (engine.limits.max_series, engine.limits.max_samples, engine.limits.timeout_s,
            engine.limits.max_concurrent_per_tenant) == (7, 8, 9, 3)
    engine.close()
