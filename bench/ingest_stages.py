"""Per-stage cost of the ingest hot path, in µs per sample (docs/adr/0013-ingest-hot-path.md).

The same requests as ``bench/ingest.py`` (``remote_write_load``: 20,000 realistic
series, one sample each per round, 2,000-sample remote-write requests), run through
each stage in this one process, warm (series caches filled by a first round), best
of ``--repeat`` rounds:

API: unsnappy, ``scan`` (the C walk, and the Python twin for comparison), series
resolution (the LRU keyed by raw label bytes), ``split_by_shard`` + bus encode
(format 3); for comparison the general path (``decode_v1`` + ``validate``) and the
old bus format 2 encode. Writer: bus decode, head append (``_append``: series cache
+ column runs), chunk building and encoding (``build_rows``: sort, dedupe, cut,
zstd), and the PostgreSQL write of one flush (COPY of the chunks, catalogue, offsets)
into a database created for the run and dropped after.

    .venv/bin/python bench/ingest_stages.py [--series 20000] [--rounds 10]

Prints one ``stage=<name> us_per_sample=<x>`` line per stage on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import time
from pathlib import Path

import cramjam
import numpy as np
import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from remote_write_load import Lane, render  # noqa: E402  (bench/ is sys.path[0])

from adapters.http.ingest_formats import remote_write_columns as rwc  # noqa: E402
from adapters.http.ingest_formats.remote_write import decode_v1  # noqa: E402
from adapters.postgres import PostgresSampleStore  # noqa: E402
from adapters.postgres.head import build_rows  # noqa: E402
from ports.bus import TELEMETRY_TOPIC  # noqa: E402
from ports.samples import BusPosition  # noqa: E402
from services.codec import decode_message, encode_batch, encode_columns  # noqa: E402
from services.ingest import IngestLimits, IngestService  # noqa: E402

PG_SERVER = os.environ.get("OBSERVER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


class WallClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


def best(fn, repeat: int) -> float:
    """Best wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--series", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=10, help="scrape rounds held in the writer's head for one flush")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--partitions", type=int, default=4)
    args = ap.parse_args()

    lanes = [Lane(k, args.series // 8, args.batch) for k in range(8)]
    now = time.time_ns() // 1_000_000
    bodies = [render(t, ln.values(0)[a:b], now)
              for ln in lanes for t, (a, b) in zip(ln.templates, ln.bounds)]
    raw = [bytes(cramjam.snappy.decompress_raw(b)) for b in bodies]
    samples = sum(len(rwc.scan(r)[0]) for r in raw)
    svc = IngestService(None, WallClock(), None, IngestLimits(known_series=100_000))  # type: ignore[arg-type]
    resolver = rwc.SeriesResolver(svc, 100_000)
    cols = [rwc.decode(r, "default", svc, resolver) for r in raw]  # warms the cache
    assert all(c is not None for c in cols), "a bench request left the columnar path"
    out: dict[str, float] = {}

    def per_sample(name: str, fn, n: int = samples) -> None:
        out[name] = best(fn, args.repeat) / n * 1e6

    per_sample("unsnappy", lambda: [cramjam.snappy.decompress_raw(b) for b in bodies])
    if rwc.scan_native is not None:
        per_sample("scan_c", lambda: [rwc.scan_native(r) for r in raw])
    per_sample("scan_python", lambda: [rwc.scan_python(r) for r in raw])
    scanned = [rwc.scan(r) for r in raw]
    per_sample("resolve_series", lambda: [[resolver.resolve("default", s, "") for s in sc[0]] for sc in scanned])
    per_sample("decode_columns_total", lambda: [rwc.decode(r, "default", svc, resolver) for r in raw])
    per_sample("split_and_bus_encode_v3",
               lambda: [[encode_columns(p) for p in c.split_by_shard(args.partitions).values()] for c in cols])
    general = [svc.validate("default", decode_v1(r).series) for r in raw]
    per_sample("general_decode_v1_and_validate", lambda: [svc.validate("default", decode_v1(r).series) for r in raw])
    per_sample("split_and_bus_encode_v2_old",
               lambda: [[encode_batch(p) for p in g.split_by_shard(args.partitions).values()] for g in general])
    messages = [encode_columns(p) for c in cols for p in c.split_by_shard(args.partitions).values()]
    per_sample("writer_bus_decode_v3", lambda: [decode_message(m) for m in messages])
    decoded = [decode_message(m) for m in messages]
    asyncio.run(writer_stages(args, decoded, samples, out))
    for name, us in out.items():
        print(f"stage={name} us_per_sample={us:.3f}", flush=True)
    return 0


async def writer_stages(args, decoded, samples: int, out: dict[str, float]) -> None:
    db = f"observer_eye_stages_{secrets.token_hex(4)}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
    try:
        url = f"{PG_SERVER.rsplit('/', 1)[0]}/{db}"
        async with PostgresSampleStore(url, flush_interval_s=3600, max_head_samples=10**9) as store:
            position = [BusPosition(TELEMETRY_TOPIC, 0, 1)]
            await store.write_columns(decoded, position)  # registers the series, first flush
            await store.flush()
            for r in range(args.rounds):  # later rounds: new timestamps, known series
                shifted = [type(b)(b.tenant, b.series_ids, b.counts, b.timestamps + 1000 * (r + 1), b.values, b.table,
                                   b.table_offsets) for b in decoded]
                t0 = time.perf_counter()
                await store.write_columns(shifted, position)
                out.setdefault("writer_head_append", 0.0)
                out["writer_head_append"] += (time.perf_counter() - t0) / (samples * args.rounds) * 1e6
            head = store._head
            t0 = time.perf_counter()
            build_rows(head)
            out["writer_chunk_build_encode"] = (time.perf_counter() - t0) / head.samples * 1e6
            n = head.samples
            t0 = time.perf_counter()
            await store.flush()  # builds the rows again, then COPY + catalogue + offsets
            out["writer_flush_total_incl_build"] = (time.perf_counter() - t0) / n * 1e6
            out["postgres_write"] = out["writer_flush_total_incl_build"] - out["writer_chunk_build_encode"]
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db)))


if __name__ == "__main__":
    sys.exit(main())
