"""Compaction: merge a series' chunks of one two-hour window into one, and roll it up.

Why: the writer flushes about every second, so a window starts as many small chunks
(whatever arrived in each second). Merged into one chunk, the codec sees hundreds or
thousands of samples at once and the per-row and per-index-entry costs are paid once:
this is where most of the compression comes from. The 1-minute and 1-hour rollups are
computed here too, from exactly the samples the merged chunk holds (1-minute ones only
where they are smaller than the samples: see ``MIN_SAMPLES_PER_BUCKET``).

Safe while writers run: compaction only takes head chunks whose flush sequence number
is at or below a *watermark* read while holding the flush lock exclusively (every
flush holds it shared from its ``nextval`` to its commit), so every chunk it reads is
committed and every chunk flushed later has a higher number and stays newer than the
merged chunk, which is given the watermark as its number. Rows are deleted by their
exact identity, never by a range, so a chunk flushed meanwhile is never lost.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import psycopg

from adapters.postgres.codec import decode_columns, encode_chunk, encode_columns
from adapters.postgres.head import DAY_MS, WINDOW_MS
from adapters.postgres.reading import Buckets, bucketize, decode_any, merge
from adapters.postgres.schema import COMPACT_LOCK, FLUSH_LOCK, partition_name

MINUTE_MS, HOUR_MS = 60_000, 3_600_000
LEVEL = 9  # zstd level for compacted chunks: written once, read many times
# A bucket stores five aggregates; one summing fewer samples than that is bigger than
# the samples themselves and no faster to read, so such a window keeps no 1-minute
# rollup (a 15 s scrape gives 4 per minute) and is read from its chunk instead.
MIN_SAMPLES_PER_BUCKET = 5


@dataclass
class CompactionReport:
    windows: int = 0
    chunks_in: int = 0
    samples: int = 0
    vacuumed: list[str] = field(default_factory=list)


@dataclass
class _Batch:
    """What one transaction writes, computed off the event loop."""

    delete_head: list[tuple[int, int, int]] = field(default_factory=list)
    chunks: list[tuple[int, int, int, int, int, bytes]] = field(default_factory=list)
    rollup_1m: list[tuple[int, int, int, bytes]] = field(default_factory=list)
    hours: dict[tuple[int, int], list[Buckets]] = field(default_factory=lambda: defaultdict(list))
    samples: int = 0


def _merge_batch(pairs: list[tuple[int, int]], head_rows, old_rows, watermark: int, min_per_bucket: int) -> _Batch:
    """Decode, merge (older first, so later writes win) and re-encode every window."""
    parts: dict[tuple[int, int], list] = defaultdict(list)
    for sid, start, _seq, data in old_rows:
        parts[(sid, start - start % WINDOW_MS)].append(decode_any(data))
    out = _Batch()
    for sid, start, seq, data in head_rows:
        parts[(sid, start - start % WINDOW_MS)].append(decode_any(data))
        out.delete_head.append((sid, start, seq))
    for sid, w in pairs:
        ts, vs = merge(parts[(sid, w)])
        if not ts.size:
            continue
        out.samples += int(ts.size)
        out.chunks.append((sid, int(ts[0]), int(ts[-1]), int(ts.size), watermark, encode_chunk(ts, vs, level=LEVEL)))
        minute = bucketize(ts, vs, MINUTE_MS)
        if ts.size >= min_per_bucket * minute.ts.size:
            out.rollup_1m.append((sid, w, int(minute.ts.size), encode_columns(minute.ts, *minute.columns(), level=LEVEL)))
        out.hours[(sid, w - w % DAY_MS)].append(bucketize(ts, vs, HOUR_MS))
    return out


def _splice_days(batch: _Batch, old_days) -> list[tuple[int, int, int, bytes]]:
    """Day rows of 1-hour buckets: the stored ones, with the hours just recomputed replaced."""
    stored = {(sid, day): Buckets.from_columns(*decode_columns(data)) for sid, day, data in old_days}
    rows = []
    for (sid, day), fresh in batch.hours.items():
        new = Buckets.concat(fresh)
        old = stored.get((sid, day))
        if old is not None:
            old = old.select(~np.isin(old.ts, new.ts))
            new = Buckets.concat([old, new])
        rows.append((sid, day, int(new.ts.size), encode_columns(new.ts, *new.columns(), level=LEVEL)))
    return rows


async def compact(
    url: str, older_than_ms: int, *, series_per_transaction: int = 500, min_samples_per_bucket: int = MIN_SAMPLES_PER_BUCKET
) -> CompactionReport:
    """Compact every window that ends at or before ``older_than_ms``."""
    cutoff = older_than_ms - older_than_ms % WINDOW_MS
    report = CompactionReport()
    days: set[int] = set()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("SELECT pg_advisory_lock(%s)", (COMPACT_LOCK,))
        try:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (FLUSH_LOCK,))
                cur = await conn.execute("SELECT last_value FROM oe_flush_seq")
                (watermark,) = await cur.fetchone()
            cur = await conn.execute(
                "SELECT DISTINCT series_id, start_ms - start_ms %% %s FROM oe_chunks_head "
                "WHERE start_ms < %s AND seq <= %s ORDER BY 1, 2",
                (WINDOW_MS, cutoff, watermark),
            )
            by_series: dict[int, list[int]] = defaultdict(list)
            for sid, w in await cur.fetchall():
                by_series[sid].append(w)
            sids = list(by_series)
            for i in range(0, len(sids), series_per_transaction):
                pairs = [(s, w) for s in sids[i:i + series_per_transaction] for w in by_series[s]]
                await _compact_pairs(conn, pairs, watermark, report, min_samples_per_bucket)
                days |= {w // DAY_MS for _, w in pairs}
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (COMPACT_LOCK,))
        # Space of the deleted head chunks and rewritten day rows goes back now, not
        # whenever autovacuum gets there (VACUUM cannot run inside a transaction).
        for day in sorted(days):
            for table in ("oe_chunks_head", "oe_rollup_1h"):
                name = partition_name(table, day)
                await conn.execute(f"VACUUM {name}")
                report.vacuumed.append(name)
        if days:
            await conn.execute("VACUUM oe_series")  # first/last seen updates leave dead rows
            report.vacuumed.append("oe_series")
    return report


async def _compact_pairs(
    conn: psycopg.AsyncConnection, pairs: list[tuple[int, int]], watermark: int, report: CompactionReport, min_per_bucket: int
) -> None:
    sids, windows = [p[0] for p in pairs], [p[1] for p in pairs]
    join = "JOIN unnest(%s::bigint[], %s::bigint[]) AS u(sid, w) ON c.series_id = u.sid AND c.start_ms >= u.w AND c.start_ms < u.w + %s"
    async with conn.transaction():
        cur = conn.cursor(binary=True)
        await cur.execute(
            f"SELECT c.series_id, c.start_ms, c.seq, c.data FROM oe_chunks_head c {join} WHERE c.seq <= %s ORDER BY c.seq, c.start_ms",
            (sids, windows, WINDOW_MS, watermark))
        head_rows = await cur.fetchall()
        await cur.execute(f"SELECT c.series_id, c.start_ms, c.seq, c.data FROM oe_chunks c {join} ORDER BY c.seq", (sids, windows, WINDOW_MS))
        old_rows = await cur.fetchall()
        batch = await asyncio.to_thread(_merge_batch, pairs, head_rows, old_rows, watermark, min_per_bucket)
        day_keys = list(batch.hours)
        await cur.execute(
            "SELECT r.series_id, r.start_ms, r.data FROM oe_rollup_1h r JOIN unnest(%s::bigint[], %s::bigint[]) AS u(sid, d) "
            "ON r.series_id = u.sid AND r.start_ms = u.d", ([k[0] for k in day_keys], [k[1] for k in day_keys]))
        day_rows = await asyncio.to_thread(_splice_days, batch, await cur.fetchall())
        dh = batch.delete_head
        await conn.execute(
            "DELETE FROM oe_chunks_head c USING unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS d(sid, st, q) "
            "WHERE c.series_id = d.sid AND c.start_ms = d.st AND c.seq = d.q",
            ([d[0] for d in dh], [d[1] for d in dh], [d[2] for d in dh]))
        await conn.execute(f"DELETE FROM oe_chunks c USING unnest(%s::bigint[], %s::bigint[]) AS u(sid, w) WHERE c.series_id = u.sid "
                           "AND c.start_ms >= u.w AND c.start_ms < u.w + %s", (sids, windows, WINDOW_MS))
        await conn.execute("DELETE FROM oe_rollup_1m r USING unnest(%s::bigint[], %s::bigint[]) AS u(sid, w) "
                           "WHERE r.series_id = u.sid AND r.start_ms = u.w", (sids, windows))
        await conn.execute("DELETE FROM oe_rollup_1h r USING unnest(%s::bigint[], %s::bigint[]) AS u(sid, d) "
                           "WHERE r.series_id = u.sid AND r.start_ms = u.d", ([k[0] for k in day_keys], [k[1] for k in day_keys]))
        await _copy(conn, "oe_chunks (series_id, start_ms, end_ms, n, seq, data)", ["int8", "int8", "int8", "int4", "int8", "bytea"], batch.chunks)
        await _copy(conn, "oe_rollup_1m (series_id, start_ms, n, data)", ["int8", "int8", "int4", "bytea"], batch.rollup_1m)
        await _copy(conn, "oe_rollup_1h (series_id, start_ms, n, data)", ["int8", "int8", "int4", "bytea"], day_rows)
    report.windows += len(pairs)
    report.chunks_in += len(head_rows) + len(old_rows)
    report.samples += batch.samples


async def _copy(conn: psycopg.AsyncConnection, target: str, types: list[str], rows: list[tuple]) -> None:
    if not rows:
        return
    async with conn.cursor().copy(f"COPY {target} FROM STDIN (FORMAT BINARY)") as cp:
        cp.set_types(types)
        for row in rows:
            await cp.write_row(row)
