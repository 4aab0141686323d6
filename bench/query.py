"""PromQL range query latency: our engine on the PostgreSQL sample store against
Prometheus 2.42 on the same data, in the same run.

For each size (100 and 1,000 series by default) it generates 24 h of samples at a 15 s
scrape interval for a counter ``bench_requests_total`` (N series, labels job and
instance) and a classic histogram ``bench_duration_seconds_bucket`` (N series: N/10
histograms of 10 buckets), loads them into a fresh PostgreSQL database through the
store port (then compacts, as the store is after two hours) and into Prometheus
(``promtool tsdb create-blocks-from openmetrics``), and times range queries over the
whole 24 h at a 15 s step (5,761 steps):

    bench_requests_total
    rate(bench_requests_total[5m])
    sum by (job) (rate(bench_requests_total[5m]))
    histogram_quantile(0.9, sum by (le) (rate(bench_duration_seconds_bucket[5m])))

Ours is timed from the call to the JSON bytes of Prometheus' ``data`` object (the
engine's ``range`` then ``render``); Prometheus from the HTTP request to the last byte
of its answer. Each query runs ``--repeats`` times per engine; the median is printed,
with the ratio ours / Prometheus (the goal: at most 2). ``--sqlite`` times the SQLite
store as well.

    .venv/bin/python bench/query.py [--series 100 1000] [--repeats 3] [--sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.postgres import PostgresSampleStore  # noqa: E402
from adapters.sqlite_store import SqliteSampleStore  # noqa: E402
from domain.metrics.batch import SampleBatch, SeriesSamples  # noqa: E402
from domain.metrics.kinds import MetricKind  # noqa: E402
from domain.metrics.samples import Sample  # noqa: E402
from domain.metrics.series import SeriesKey  # noqa: E402
from services.promql.engine import PromQLEngine  # noqa: E402
from services.promql.limits import QueryLimits  # noqa: E402
from tests.support.prometheus_server import PrometheusServer, create_blocks  # noqa: E402

TENANT = "bench"
STEP_MS = 15_000
DAY_MS = 86_400_000
BUCKETS = ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf")
QUERIES = (
    "bench_requests_total",
    "rate(bench_requests_total[5m])",
    "sum by (job) (rate(bench_requests_total[5m]))",
    "histogram_quantile(0.9, sum by (le) (rate(bench_duration_seconds_bucket[5m])))",
)


def note(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


def make_series(n: int, start_ms: int, rng: np.random.Generator) -> list[tuple[str, dict[str, str], np.ndarray, np.ndarray]]:
    """(name, labels, timestamps, values) of the counter and the histogram."""
    scrapes = DAY_MS // STEP_MS + 1
    out = []
    for i in range(n):
        ts = start_ms + int(rng.integers(0, STEP_MS)) + np.arange(scrapes, dtype=np.int64) * STEP_MS
        values = np.cumsum(rng.poisson(rng.uniform(1, 50), scrapes)).astype(np.float64)
        out.append(("bench_requests_total", {"job": f"job{i % 10}", "instance": f"i{i}"}, ts, values))
    for h in range(n // len(BUCKETS)):
        ts = start_ms + int(rng.integers(0, STEP_MS)) + np.arange(scrapes, dtype=np.int64) * STEP_MS
        per_bucket = rng.poisson(rng.uniform(0.5, 5), (len(BUCKETS), scrapes)).astype(np.float64)
        counts = np.cumsum(np.cumsum(per_bucket, axis=0), axis=1)
        for le, row in zip(BUCKETS, counts):
            out.append(("bench_duration_seconds_bucket", {"instance": f"h{h}", "le": le}, ts, row))
    return out


def openmetrics(series) -> list[str]:
    lines = []
    for name, labels, ts, values in series:
        head = name + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "} "
        lines.extend(f"{head}{v:.17g} {t // 1000}.{t % 1000:03d}\n" for t, v in zip(ts.tolist(), values.tolist()))
    lines.append("# EOF\n")
    return lines


async def load(store, series) -> None:
    """As the writer would: one batch per scrape of every target, ten scrapes per write."""
    keys = [SeriesKey.of(TENANT, name, labels) for name, labels, _, _ in series]
    kinds = [MetricKind.COUNTER] * len(series)
    times = np.stack([ts for _, _, ts, _ in series])
    values = np.stack([v for _, _, _, v in series])
    group = []
    for j in range(times.shape[1]):
        ts, vs = times[:, j].tolist(), values[:, j].tolist()
        group.append(SampleBatch(TENANT, tuple(SeriesSamples(k, (Sample(t, v),), kind, "")
                                               for k, kind, t, v in zip(keys, kinds, ts, vs))))
        if len(group) == 10:
            await store.write(group)
            group = []
    if group:
        await store.write(group)
    await store.flush()


async def time_ours(engine: PromQLEngine, query: str, start: int, end: int, repeats: int) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = await engine.range(TENANT, query, start, end, STEP_MS)
        body = await engine.render(result)
        times.append(time.perf_counter() - t0)
        size = len(body)
    return statistics.median(times) * 1000, size


def time_prometheus(prometheus: PrometheusServer, query: str, start: int, end: int, repeats: int) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        answer = prometheus.query_range(query, start, end, STEP_MS)
        times.append(time.perf_counter() - t0)
        if answer["status"] != "success":
            raise RuntimeError(f"prometheus failed {query}: {answer}")
        size = sum(len(s["values"]) for s in answer["data"]["result"])
    return statistics.median(times) * 1000, size


async def run_size(n: int, args, pg_url: str, tmp: Path) -> None:
    end_ms = (time.time_ns() // 1_000_000) // 60_000 * 60_000 - 3_600_000
    start_ms = end_ms - DAY_MS
    series = make_series(n, start_ms - 10 * 60_000, np.random.default_rng(n))
    samples = sum(ts.size for _, _, ts, _ in series)
    note(f"{n} series: {len(series)} stored series, {samples} samples")

    t0 = time.perf_counter()
    blocks = tmp / f"prometheus-{n}" / "tsdb"
    blocks.parent.mkdir(parents=True)
    create_blocks(openmetrics(series), blocks)
    note(f"  prometheus blocks: {time.perf_counter() - t0:.1f} s")

    stores = []
    store = PostgresSampleStore(pg_url)
    t0 = time.perf_counter()
    await load(store, series)
    await store.compact(end_ms + 4 * 3_600_000)
    note(f"  postgresql: loaded and compacted in {time.perf_counter() - t0:.1f} s")
    stores.append(("postgres", store))
    if args.sqlite:
        lite = SqliteSampleStore(tmp / f"samples-{n}.db")
        t0 = time.perf_counter()
        await load(lite, series)
        note(f"  sqlite: loaded in {time.perf_counter() - t0:.1f} s")
        stores.append(("sqlite", lite))
    del series

    limits = QueryLimits(max_series=100_000, max_samples=200_000_000, max_points=50_000_000, timeout_s=600)
    with PrometheusServer(blocks.parent, remote_write=False) as prometheus:
        for query in QUERIES:
            theirs, points = time_prometheus(prometheus, query, start_ms, end_ms, args.repeats)
            for name, s in stores:
                engine = PromQLEngine(s, limits)
                ours, size = await time_ours(engine, query, start_ms, end_ms, args.repeats)
                engine.close()
                print(f"query store={name} series={n} points={points} ours_ms={ours:.0f} prometheus_ms={theirs:.0f} "
                      f"ratio={ours / theirs:.2f} q={query!r}", flush=True)
    for _, s in stores:
        await s.close()


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--series", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sqlite", action="store_true", help="time the SQLite store too")
    ap.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres", help="server; a fresh database is made on it")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="oe-query-bench-") as tmp:
        for n in args.series:
            name = f"observer_eye_query_bench_{secrets.token_hex(4)}"
            with psycopg.connect(args.url, autocommit=True) as admin:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            try:
                await run_size(n, args, f"{args.url.rsplit('/', 1)[0]}/{name}", Path(tmp))
            finally:
                with psycopg.connect(args.url, autocommit=True) as admin:
                    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    asyncio.run(main())
