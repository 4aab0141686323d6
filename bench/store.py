"""Sample store benchmark: the chunked PostgreSQL store against one row per sample.

Writes N samples of M series (scrapes every 15 s with a few ms of jitter) through
``PostgresSampleStore`` with its default settings and, in the same run and from the same
batches, through the naive design: one row per sample ``(series_id, ts, value)`` into a
table with a btree on ``(series_id, ts)``. The naive path gets every advantage it could
have: rows built with numpy (no per-row Python) and streamed into ONE binary COPY in ONE
transaction (no per-batch commit). Both are timed from the batches in memory to
committed rows.

Then compacts, measures the bytes on disk of everything the store keeps (chunks,
rollups, catalogue, offsets: tables, indexes and TOAST) and times a 24 h range query over
100 series at a 15 s step (from the chunks) and at a 1 h step (from the rollups).

The series mix is what a host and its services export: 40 % counters (integer,
irregular increments), 40 % gauges with two decimals (random walks), 10 % constant
gauges, 10 % full-precision ratios (no decimal structure: the codec's worst case).

    .venv/bin/python bench/store.py [--samples N] [--series M] [--url postgresql://...]

Prints the two lines the issue asks for on stdout; details go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import time
from itertools import chain

import numpy as np
import psycopg
from psycopg import sql

from adapters.postgres import PostgresSampleStore
from domain.metrics.batch import SampleBatch, SeriesSamples
from domain.metrics.kinds import MetricKind
from domain.metrics.query import Selector
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey

TENANT = "bench"
INTERVAL_MS = 15_000
_SAMPLE = np.dtype([("t", "<i8"), ("v", "<f8")])
_ROW = np.dtype([("nf", ">i2"), ("l1", ">i4"), ("sid", ">i8"), ("l2", ">i4"), ("ts", ">i8"), ("l3", ">i4"), ("v", ">f8")])


def note(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


def make_series(m: int) -> list[tuple[SeriesKey, MetricKind, str]]:
    out = []
    for j in range(m):
        kind = j % 10
        labels = {"host": f"host-{j // 40}", "instance": f"i{j}", "group": f"g{(j // 10) % 10}"}
        name = ("http_requests_total" if kind < 4 else "cpu_percent" if kind < 8 else "up" if kind == 8 else "cache_hit_ratio")
        out.append((SeriesKey.of(TENANT, name, labels), MetricKind.COUNTER if kind < 4 else MetricKind.GAUGE, ""))
    return out


def make_values(m: int, scrapes: int, rng: np.random.Generator) -> np.ndarray:
    """Values, shape (scrapes, m)."""
    v = np.empty((scrapes, m))
    for j in range(m):
        kind = j % 10
        if kind < 4:
            v[:, j] = np.cumsum(rng.poisson(rng.uniform(1, 500), scrapes)).astype(np.float64)
        elif kind < 8:
            v[:, j] = np.round(np.clip(50 + np.cumsum(rng.normal(0, 2, scrapes)), 0, 100), 2)
        elif kind == 8:
            v[:, j] = 1.0
        else:
            v[:, j] = rng.random(scrapes)
    return v


def make_batches(n: int, m: int, end_ms: int, scrapes_per_write: int) -> list[list[SampleBatch]]:
    rng = np.random.default_rng(42)
    scrapes = n // m
    series = make_series(m)
    values = make_values(m, scrapes, rng)
    start = end_ms - scrapes * INTERVAL_MS
    offsets = rng.integers(0, INTERVAL_MS, m)  # each target is scraped at its own phase
    jitter = rng.integers(-3, 4, (scrapes, m))
    times = (start + np.arange(scrapes)[:, None] * INTERVAL_MS + offsets[None, :] + jitter).tolist()
    vals = values.tolist()
    batches = [
        SampleBatch(TENANT, tuple(SeriesSamples(k, (Sample(t, v),), kind, unit) for (k, kind, unit), t, v in zip(series, ts_row, v_row)))
        for ts_row, v_row in zip(times, vals)
    ]
    return [batches[i:i + scrapes_per_write] for i in range(0, len(batches), scrapes_per_write)]


async def run_store(url: str, groups: list[list[SampleBatch]]) -> tuple[float, PostgresSampleStore]:
    store = PostgresSampleStore(url)
    await store.flush()  # connect and create the schema outside the timing
    t0 = time.perf_counter()
    for group in groups:
        await store.write(group)
    await store.flush()
    return time.perf_counter() - t0, store


def _naive_rows(group: list[SampleBatch], ids: dict[SeriesKey, int]) -> bytes:
    """Binary COPY rows of one consumer batch, built with numpy (no per-row Python)."""
    series = [s for b in group for s in b.series]
    sids = [ids.get(s.key) or ids.setdefault(s.key, s.key.id) for s in series]
    counts = [len(s.samples) for s in series]
    total = sum(counts)
    flat = np.fromiter(chain.from_iterable(s.samples for s in series), dtype=_SAMPLE, count=total)
    rows = np.empty(total, _ROW)
    rows["nf"], rows["l1"], rows["l2"], rows["l3"] = 3, 8, 8, 8
    rows["sid"] = np.repeat(np.array(sids, dtype=np.int64), counts)
    rows["ts"], rows["v"] = flat["t"], flat["v"]
    return rows.tobytes()


async def run_naive(url: str, groups: list[list[SampleBatch]]) -> tuple[float, int]:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("CREATE TABLE naive_samples (series_id bigint NOT NULL, ts bigint NOT NULL, value float8 NOT NULL)")
        await conn.execute("CREATE INDEX naive_samples_series_ts ON naive_samples (series_id, ts)")
        ids: dict[SeriesKey, int] = {}
        t0 = time.perf_counter()
        async with conn.transaction(), conn.cursor().copy("COPY naive_samples FROM STDIN (FORMAT BINARY)") as cp:
            await cp.write(b"PGCOPY\n\xff\r\n\x00" + bytes(8))
            for group in groups:
                await cp.write(_naive_rows(group, ids))
            await cp.write(b"\xff\xff")
        elapsed = time.perf_counter() - t0
        cur = await conn.execute("SELECT pg_total_relation_size('naive_samples')")
        (size,) = await cur.fetchone()
    return elapsed, size


async def breakdown(url: str) -> str:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cur = await conn.execute(
            "SELECT coalesce(p.relname, c.relname)::text, sum(pg_total_relation_size(c.oid)) FROM pg_class c "
            "LEFT JOIN pg_inherits i ON i.inhrelid = c.oid LEFT JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE c.relname LIKE 'oe\\_%' AND c.relkind = 'r' GROUP BY 1 ORDER BY 1")
        return ", ".join(f"{t}={float(b) / 1e6:.2f}MB" for t, b in await cur.fetchall())


async def store_bytes(url: str) -> int:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cur = await conn.execute(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relname LIKE 'oe\\_%' AND c.relkind IN ('r', 'S')"
        )
        return int((await cur.fetchone())[0])


async def time_query(store: PostgresSampleStore, end_ms: int, step_ms: int, repeats: int) -> tuple[float, float, int]:
    selector = Selector.parse('{group="g0"}')
    start = end_ms - 24 * 3600 * 1000
    times, series = [], 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = await store.select_rollup(TENANT, selector, start, end_ms, step_ms)
        times.append((time.perf_counter() - t0) * 1000)
        series = len(result)
    return float(np.percentile(times, 50)), float(np.percentile(times, 99)), series


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=5_760_000, help="N (default: 24 h of 1000 series at 15 s)")
    ap.add_argument("--series", type=int, default=1000, help="M")
    ap.add_argument("--scrapes-per-write", type=int, default=10, help="scrapes per consumer batch (write call)")
    ap.add_argument("--repeats", type=int, default=30, help="runs of each query")
    ap.add_argument("--min-samples-per-minute-bucket", type=int, default=None,
                    help="compaction keeps a 1-minute rollup only for windows this dense (default: the store's; 0: always)")
    ap.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres", help="server; a fresh database is made on it")
    args = ap.parse_args()

    name = f"observer_eye_bench_{secrets.token_hex(4)}"
    with psycopg.connect(args.url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = f"{args.url.rsplit('/', 1)[0]}/{name}"
    try:
        end_ms = (time.time_ns() // 1_000_000) // 1000 * 1000
        note(f"generating {args.samples} samples of {args.series} series ...")
        groups = make_batches(args.samples, args.series, end_ms, args.scrapes_per_write)
        n = sum(b.sample_count for g in groups for b in g)
        naive_s, naive_size = await run_naive(url, groups)
        note(f"naive: {naive_s:.2f} s, {naive_size / n:.1f} bytes/sample")
        store_s, store = await run_store(url, groups)
        del groups
        note(f"store: {store_s:.2f} s, before compaction {await store_bytes(url) / n:.2f} bytes/sample")
        t0 = time.perf_counter()
        options = {} if args.min_samples_per_minute_bucket is None else {"min_samples_per_bucket": args.min_samples_per_minute_bucket}
        report = await store.compact(end_ms + 4 * 3600 * 1000, **options)  # every window, the newest included
        note(f"compaction: {time.perf_counter() - t0:.1f} s, {report.windows} windows, {report.chunks_in} chunks in")
        size = await store_bytes(url)
        note("after compaction:", await breakdown(url))
        store_rate, naive_rate = n / store_s, n / naive_s
        print(f"store samples={n} series={args.series} store_samples_per_s={store_rate:.0f} "
              f"naive_rows_per_s={naive_rate:.0f} ratio={store_rate / naive_rate:.2f} bytes_per_sample={size / n:.2f}", flush=True)
        for step, label in ((15_000, "15s"), (3_600_000, "1h")):
            p50, p99, series = await time_query(store, end_ms, step, args.repeats)
            note(f"query step={label}: {series} series")
            print(f"query range=24h series={series} step={label} p50_ms={p50:.1f} p99_ms={p99:.1f}", flush=True)
        await store.close()
    finally:
        with psycopg.connect(args.url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    asyncio.run(main())
