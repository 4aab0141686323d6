"""PostgreSQL sample store: per-series compressed chunks, written with binary COPY.

Why chunks and not one row per sample: a row costs ~24 bytes of header plus an index
entry, and each is inserted on its own; a chunk of a few hundred samples pays that
once. See docs/adr/0004-sample-store.md for the figures.

Write path and exactly-once: ``write`` only appends to the in-memory head and records
the bus positions the batch came from. A flush (every ``flush_interval_s``, when a
series' head reaches ``chunk_samples``, or on ``flush()``) writes the *whole* head as
chunks with one COPY and stores the positions in the same transaction. The bus is the
write-ahead log: after a crash the writer seeks to the stored positions and replays,
so what the head lost comes back once, and what was committed is never replayed. The
first time a bus partition appears, ``write`` flushes at once, so its position is
durable before the consumer can commit past it on the bus.

Read-your-writes: ``select`` and ``select_rollup`` merge the unflushed head into what
they read; ``series`` flushes first (it is a rare, metadata call). Other processes
see data once it is flushed, about half a second later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import numpy as np
import psycopg

from adapters.postgres import catalogue, compaction, schema
from adapters.postgres.codec import decode_columns
from ports.columnar import ColumnarBatch
from services.lru import LruCache
from adapters.postgres.head import DAY_MS, WINDOW_MS, CachedSeries, Head, SeriesMeta, build_rows, copy_payload
from adapters.postgres.reading import Buckets, bucketize, clip, decode_any, merge, rebucket
from domain.metrics.batch import SampleBatch
from domain.metrics.kinds import MetricKind
from domain.metrics.query import Selector
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from ports.samples import BusPosition, SeriesArrays, SeriesData, SeriesInfo, SeriesMatch, SeriesRollup

log = logging.getLogger(__name__)

MINUTE_MS, HOUR_MS = 60_000, 3_600_000
_COPY_SQL = "COPY oe_chunks_head (series_id, start_ms, end_ms, n, seq, data) FROM STDIN (FORMAT BINARY)"


class PostgresSampleStore:
    def __init__(
        self,
        url: str,
        *,
        flush_interval_s: float = 0.5,
        chunk_samples: int = 240,
        max_head_samples: int = 2_000_000,
        partitions_ahead_days: int = 2,
        readers: int = 4,
        series_cache: int = 200_000,
        before_commit: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._url = url
        self._interval = flush_interval_s
        self._chunk_samples = chunk_samples
        self._max_head = max_head_samples
        self._ahead = partitions_ahead_days
        self._reader_count = readers
        # Fault injection for tests: runs inside the flush transaction after the COPY.
        self.before_commit = before_commit
        self._head = Head()
        self._flushing: Head | None = None
        # Series met lately (id -> key, kind, unit): bounded, least recently used out.
        self._series: LruCache[int, CachedSeries] = LruCache(series_cache)
        self._stored_positions: set[tuple[str, int]] = set()
        self._days: set[int] = set()
        self._conn: psycopg.AsyncConnection | None = None
        self._readers: asyncio.Queue[psycopg.AsyncConnection] | None = None
        self._reader_conns: list[psycopg.AsyncConnection] = []
        self._open_lock = asyncio.Lock()
        self._flush_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._closed = False

    # ----------------------------------------------------------------- lifecycle

    async def _ready(self) -> psycopg.AsyncConnection:
        if self._conn is not None:
            return self._conn
        async with self._open_lock:
            if self._conn is None:
                if self._closed:
                    raise RuntimeError("the sample store is closed")
                conn = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
                await schema.create_schema(conn)
                today = _now_ms() // DAY_MS
                await schema.create_partitions(conn, set(range(today - 1, today + self._ahead + 1)))
                have = await schema.existing_days(conn)
                self._days = set.intersection(*have.values())
                cur = await conn.execute("SELECT topic, partition FROM oe_offsets")
                self._stored_positions = {(t, p) for t, p in await cur.fetchall()}
                self._readers = asyncio.Queue()
                self._conn = conn
                self._flusher = asyncio.create_task(self._flush_loop(), name="sample-store-flusher")
        return self._conn

    async def close(self) -> None:
        """Flush what the head holds, stop the flusher and close every connection."""
        if self._conn is None:
            self._closed = True
            return
        try:
            await self.flush()
        finally:
            self._closed = True
            if self._flusher is not None:
                self._flusher.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._flusher
            for c in [self._conn, *self._reader_conns]:
                await c.close()
            self._conn = None

    async def __aenter__(self) -> "PostgresSampleStore":
        await self._ready()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @contextlib.asynccontextmanager
    async def _reader(self) -> AsyncIterator[psycopg.AsyncConnection]:
        await self._ready()
        assert self._readers is not None
        if self._readers.empty() and len(self._reader_conns) < self._reader_count:
            conn = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
            self._reader_conns.append(conn)
        else:
            conn = await self._readers.get()
        try:
            yield conn
        finally:
            self._readers.put_nowait(conn)

    # ----------------------------------------------------------------- writing

    async def write(self, batches: Sequence[SampleBatch], positions: Sequence[BusPosition] = ()) -> None:
        await self._ready()
        full = False
        for batch in batches:
            metas, runs = [], []
            for s in batch.series:
                if s.samples:
                    metas.append((s.key, s.kind, s.unit))
                    runs.append(s.samples)
            if metas:
                ids = np.fromiter((k.id for k, _, _ in metas), dtype=np.int64, count=len(metas))
                counts = np.fromiter(map(len, runs), dtype=np.int64, count=len(runs))
                total = int(counts.sum())
                ts = np.fromiter((p[0] for r in runs for p in r), dtype=np.int64, count=total)
                vs = np.fromiter((p[1] for r in runs for p in r), dtype=np.float64, count=total)
                full = self._append(ids, counts, ts, vs, lambda i, metas=metas: metas[i]) or full
        await self._after_append(positions, full)

    async def write_columns(self, batches: Sequence[ColumnarBatch], positions: Sequence[BusPosition] = ()) -> None:
        """``write`` for columns: a descriptor is decoded only for a series the series
        cache does not hold."""
        await self._ready()
        full = False
        for b in batches:
            if b.sample_count:
                full = self._append(b.series_ids, b.counts, b.timestamps, b.values, b.meta) or full
        await self._after_append(positions, full)

    def _append(self, ids: np.ndarray, counts: np.ndarray, ts: np.ndarray, vs: np.ndarray,
                meta_of: Callable[[int], tuple[SeriesKey, MetricKind, str]]) -> bool:
        """One run into the head; True when a series reached the chunk size."""
        head, cap, full = self._head, self._chunk_samples, False
        ids_list = ids.tolist()
        # Set arithmetic and map() run in C: no Python step per series unless it is new.
        known = self._series.peek_many(ids_list)
        if None in known:
            for i, meta in enumerate(known):
                if meta is None:
                    self._register(ids_list[i], *meta_of(i))
        self._series.touch(ids_list)
        held = head.counts
        biggest = int(counts.max())
        # Only a series that grows in the head wakes the flusher (a new one never does);
        # the exact check runs only once some series *could* have reached the cap.
        head.growth_bound += biggest
        if head.growth_bound >= cap:
            prior = np.fromiter(map(held.__getitem__, ids_list), dtype=np.int64, count=len(ids_list))
            full = bool(((prior > 0) & (prior + counts >= cap)).any())
        if biggest == 1:
            held.update(ids_list)
        else:
            held.update(dict(zip(ids_list, counts.tolist())))
        head.add(np.repeat(ids, counts), ts, vs)
        return full

    async def _after_append(self, positions: Sequence[BusPosition], full: bool) -> None:
        head = self._head
        fresh = False
        for p in positions:
            head.positions[(p.topic, p.partition)] = p.offset
            fresh = fresh or (p.topic, p.partition) not in self._stored_positions
        if fresh or head.samples >= self._max_head:
            await self.flush()  # a new partition's position, or backpressure: durable now
        elif full:
            self._wake.set()
            await asyncio.sleep(0)  # let the flusher take this head while we go on

    def _register(self, sid: int, key: SeriesKey, kind: MetricKind, unit: str) -> None:
        """A series the cache does not hold: remember it, and have the next flush insert
        it into the catalogue (an upsert: the cache may have forgotten a stored one)."""
        meta = SeriesMeta(key, kind, unit)
        self._series.put(sid, CachedSeries(meta))
        self._head.new_series[sid] = meta

    async def flush(self) -> None:
        """Write the whole head (chunks, catalogue, positions) in one transaction."""
        await self._ready()
        async with self._flush_lock:
            snap = self._head
            if snap.empty():
                return
            self._head, self._flushing = Head(), snap
            try:
                rows = await asyncio.to_thread(build_rows, snap)
                await self._commit(snap, rows)
            except BaseException:
                self._head = snap.under(self._head)  # nothing was committed: keep it all
                raise
            finally:
                self._flushing = None

    async def _commit(self, snap: Head, rows) -> None:
        conn = self._conn
        assert conn is not None
        if rows.days - self._days:
            await schema.create_partitions(conn, rows.days - self._days)
            self._days |= rows.days
        async with conn.transaction():
            cur = await conn.execute("SELECT pg_advisory_xact_lock_shared(%s), nextval('oe_flush_seq')", (schema.FLUSH_LOCK,))
            seq = (await cur.fetchone())[1]
            if rows.chunks:
                async with conn.cursor().copy(_COPY_SQL) as cp:
                    await cp.write(copy_payload([(a, b, c, d, seq, e) for a, b, c, d, e in rows.chunks]))
            widened = await catalogue.save(conn, snap.new_series, rows, self._series.peek)
            if snap.positions:
                topics, parts, offsets = zip(*((t, p, o) for (t, p), o in snap.positions.items()))
                await conn.execute(
                    "INSERT INTO oe_offsets SELECT * FROM unnest(%s::text[], %s::int[], %s::bigint[]) "
                    "ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset",
                    (list(topics), list(parts), list(offsets)),
                )
            if self.before_commit is not None:
                await self.before_commit()
        self._stored_positions |= set(snap.positions)
        for entry, first, last in widened:  # committed: the catalogue holds at least these
            entry.first = first if entry.first is None else min(entry.first, first)
            entry.last = last if entry.last is None else max(entry.last, last)

    async def _flush_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sample store flush failed; the head is kept and retried")
                await asyncio.sleep(min(self._interval, 1.0))

    # ----------------------------------------------------------------- positions

    async def positions(self, topic: str) -> dict[int, int]:
        async with self._reader() as conn:
            cur = await conn.execute("SELECT partition, next_offset FROM oe_offsets WHERE topic = %s", (topic,))
            out = dict(await cur.fetchall())
        for pending in self._pending():
            out.update({p: o for (t, p), o in pending.positions.items() if t == topic})
        return out

    # ----------------------------------------------------------------- reading

    def _pending(self) -> list[Head]:
        return [h for h in (self._flushing, self._head) if h is not None]

    async def _match(
        self, tenant: str, selectors: Sequence[Selector], start_ms: int | None, end_ms: int | None, *, pending: bool = True
    ) -> dict[int, SeriesInfo]:
        """Matching series from the catalogue (plus series only the head has yet)."""
        async with self._reader() as conn:
            out = await catalogue.find(conn, tenant, selectors, start_ms, end_ms)
        for head in self._pending() if pending else ():
            for sid in head.counts:
                cached = self._series.peek(sid)
                meta = head.new_series.get(sid) or (cached.meta if cached is not None else None)
                if sid in out or meta is None or meta.key.tenant != tenant:
                    continue
                if not selectors or any(s.matches(meta.key.name, meta.key.labels) for s in selectors):
                    out[sid] = SeriesInfo(meta.key, meta.kind, meta.unit, 0, 0)
        return out

    async def _raw(self, sids: list[int], start_ms: int, end_ms: int, *, off_loop: bool = False,
                   ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Merged samples of ``sids`` in ``[start_ms, end_ms]``: compacted chunks, then
        flushed head chunks, then the unflushed head (later writes win).

        The unflushed head is copied *before* the tables are read: a flush committing
        in between then shows its samples twice (merged away), never zero times.
        ``off_loop`` decodes in a worker thread: a long range of many series takes
        seconds to decode, which must not stall the event loop."""
        held = {sid: [p.arrays(sid) for p in self._pending() if sid in p.counts] for sid in sids}
        parts: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {sid: [] for sid in sids}
        rows: list = []
        if sids:
            lo = start_ms - (start_ms % WINDOW_MS)  # chunks never cross a window
            sql = " UNION ALL ".join(
                f"SELECT series_id, seq, start_ms, data FROM {t} WHERE series_id = ANY(%(s)s) "
                "AND start_ms >= %(lo)s AND start_ms <= %(end)s AND end_ms >= %(start)s" for t in schema.CHUNK_TABLES
            )
            async with self._reader() as conn:
                cur = conn.cursor(binary=True)
                await cur.execute(sql + " ORDER BY 1, 2, 3", {"s": sids, "lo": lo, "start": start_ms, "end": end_ms})
                rows = await cur.fetchall()

        def assemble() -> dict[int, tuple[np.ndarray, np.ndarray]]:
            for sid, _seq, _start, data in rows:
                parts[sid].append(decode_any(data))
            for sid, arrays in held.items():
                parts[sid].extend(arrays)
            return {sid: clip(*merge(p), start_ms, end_ms) for sid, p in parts.items()}

        return await asyncio.to_thread(assemble) if off_loop else assemble()

    async def select(self, tenant: str, selector: Selector, start_ms: int, end_ms: int) -> list[SeriesData]:
        found = await self._match(tenant, [selector], start_ms, end_ms)
        data = await self._raw(list(found), start_ms, end_ms)
        out = []
        for sid, (ts, vs) in data.items():
            if ts.size:
                out.append(SeriesData(found[sid].key, list(map(Sample._make, zip(ts.tolist(), vs.tolist())))))
        return out

    async def match_series(self, tenant: str, selector: Selector, start_ms: int, end_ms: int) -> list[SeriesMatch]:
        """Counts are the ``n`` of every chunk overlapping the range (whole chunks, so
        they may overcount) plus the unflushed head's samples: no chunk is read."""
        found = await self._match(tenant, [selector], start_ms, end_ms)
        if not found:
            return []
        counts = dict.fromkeys(found, 0)
        for pending in self._pending():
            for sid in found:
                if sid in pending.counts:  # at most a flush interval's worth: cheap to look at
                    ts, _ = pending.arrays(sid)
                    counts[sid] += int(np.searchsorted(ts, end_ms, "right") - np.searchsorted(ts, start_ms, "left"))
        lo = start_ms - (start_ms % WINDOW_MS)  # chunks never cross a window
        sql = " UNION ALL ".join(
            f"SELECT series_id, n FROM {t} WHERE series_id = ANY(%(s)s) "
            "AND start_ms >= %(lo)s AND start_ms <= %(end)s AND end_ms >= %(start)s" for t in schema.CHUNK_TABLES
        )
        async with self._reader() as conn:
            cur = await conn.execute(
                f"SELECT series_id, sum(n)::bigint FROM ({sql}) AS c GROUP BY series_id",
                {"s": list(found), "lo": lo, "start": start_ms, "end": end_ms},
            )
            for sid, n in await cur.fetchall():
                counts[sid] += n
        return [SeriesMatch(found[sid].key, n) for sid, n in counts.items() if n]

    async def read_arrays(self, tenant: str, keys: Sequence[SeriesKey], start_ms: int, end_ms: int) -> list[SeriesArrays]:
        wanted = [k for k in keys if k.tenant == tenant]
        data = await self._raw([k.id for k in wanted], start_ms, end_ms, off_loop=True)
        out = []
        for key in wanted:
            ts, vs = data[key.id]
            if ts.size:
                out.append(SeriesArrays(key, ts, vs))
        return out

    async def select_rollup(self, tenant: str, selector: Selector, start_ms: int, end_ms: int, step_ms: int) -> list[SeriesRollup]:
        if step_ms <= 0:
            raise ValueError("step_ms must be positive")
        found = await self._match(tenant, [selector], start_ms - (start_ms % step_ms), end_ms)
        lo = start_ms - (start_ms % step_ms)
        hi = end_ms - (end_ms % step_ms) + step_ms - 1
        sids = list(found)
        if step_ms % HOUR_MS == 0:
            buckets = await self._from_rollups(sids, lo, hi, "oe_rollup_1h", HOUR_MS, DAY_MS)
        elif step_ms % MINUTE_MS == 0:
            buckets = await self._from_rollups(sids, lo, hi, "oe_rollup_1m", MINUTE_MS, WINDOW_MS)
        else:
            raw = await self._raw(sids, lo, hi)
            buckets = {sid: bucketize(ts, vs, step_ms) for sid, (ts, vs) in raw.items()}
        out = []
        for sid, b in buckets.items():
            if b.ts.size > 1 and int(np.min(np.diff(b.ts))) < step_ms:
                b = rebucket(b, step_ms)
            if b.ts.size:
                # numpy columns: no Python object per value until a caller wants one
                out.append(SeriesRollup(found[sid].key, b.ts, b.min, b.max, b.sum, b.count, b.last, b.at_start))
        return out

    async def _from_rollups(self, sids: list[int], lo: int, hi: int, table: str, res: int, span: int) -> dict[int, Buckets]:
        """Rollup rows where they are current; every other window is computed from the
        samples: windows with uncompacted data (flushed or still in the head), so the
        answer never lags behind writes, and compacted windows that keep no rollup
        (too sparse for one to pay, see compaction.MIN_SAMPLES_PER_BUCKET)."""
        if not sids:
            return {}
        lo_w = lo - (lo % WINDOW_MS)
        # Windows with unflushed samples, taken before the tables are read (a flush
        # committing meanwhile must not hide them from both); the tables are read in
        # one snapshot, so a compaction committing meanwhile is seen wholly or not at all.
        dirty: dict[int, set[int]] = {}
        for pending in self._pending():
            for sid in sids:
                if sid in pending.counts:
                    ts, _ = pending.arrays(sid)
                    dirty.setdefault(sid, set()).update(np.unique(ts - ts % WINDOW_MS).tolist())
        # The tables are locked in schema.PARTITIONED's order, the order partition DDL
        # takes them in, so this transaction never deadlocks with a partition's creation.
        async with self._reader() as conn, conn.transaction():
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cur = conn.cursor(binary=True)
            windows: dict[str, dict[int, set[int]]] = {}
            for source in schema.CHUNK_TABLES:
                await cur.execute(
                    f"SELECT DISTINCT series_id, start_ms - (start_ms %% %s) FROM {source} WHERE series_id = ANY(%s) "
                    "AND start_ms >= %s AND start_ms <= %s", (WINDOW_MS, sids, lo_w, hi))
                found = windows[source] = {}
                for sid, w in await cur.fetchall():
                    found.setdefault(sid, set()).add(w)
            await cur.execute(
                f"SELECT series_id, start_ms, data FROM {table} WHERE series_id = ANY(%s) AND start_ms > %s AND start_ms <= %s "
                "ORDER BY 1, 2", (sids, lo - span, hi))
            rows = await cur.fetchall()
        for sid, ws in windows["oe_chunks_head"].items():
            dirty.setdefault(sid, set()).update(ws)
        stored: dict[int, list[Buckets]] = {sid: [] for sid in sids}
        for sid, _start, data in rows:
            stored[sid].append(Buckets.from_columns(*decode_columns(data)))
        use: dict[int, Buckets] = {}
        for sid in sids:
            b = Buckets.concat(stored[sid])
            b = b.select((b.ts >= lo) & (b.ts <= hi))
            covered = set(np.unique(b.ts - b.ts % WINDOW_MS).tolist())
            raw_windows = dirty.get(sid, set()) | (windows["oe_chunks"].get(sid, set()) - covered)
            if raw_windows:
                dirty[sid] = raw_windows
            use[sid] = b
        dirty_sids = [s for s in sids if dirty.get(s)]
        raw = await self._raw(dirty_sids, max(lo, min(min(dirty[s]) for s in dirty_sids)), hi) if dirty_sids else {}
        for sid, (ts, vs) in raw.items():
            windows_arr = np.array(sorted(dirty[sid]), dtype=np.int64)
            b = use[sid]
            b = b.select(~np.isin(b.ts - b.ts % WINDOW_MS, windows_arr))
            fresh = bucketize(ts, vs, res)
            use[sid] = Buckets.concat([b, fresh.select(np.isin(fresh.ts - fresh.ts % WINDOW_MS, windows_arr))])
        return use

    async def series(
        self, tenant: str, selectors: Sequence[Selector], start_ms: int | None, end_ms: int | None, limit: int
    ) -> list[SeriesInfo]:
        await self.flush()  # first/last seen live in the catalogue: make the head's count
        found = await self._match(tenant, selectors, start_ms, end_ms, pending=False)
        # The catalogue's last_seen may trail by less than its slack: the exact one is
        # the newest chunk's end (a chunk never crosses a window, so only chunks that
        # start at most a window before the stored value can hold a newer sample).
        if found:
            floor = min(i.last_seen_ms for i in found.values()) - WINDOW_MS
            sql = " UNION ALL ".join(f"SELECT series_id, end_ms FROM {t} WHERE series_id = ANY(%(s)s) AND start_ms >= %(f)s"
                                     for t in schema.CHUNK_TABLES)
            async with self._reader() as conn:
                cur = await conn.execute(f"SELECT series_id, max(end_ms) FROM ({sql}) c GROUP BY 1", {"s": list(found), "f": floor})
                for sid, newest in await cur.fetchall():
                    info = found[sid]
                    if newest > info.last_seen_ms:
                        found[sid] = SeriesInfo(info.key, info.kind, info.unit, info.first_seen_ms, newest)
            if start_ms is not None:
                found = {sid: i for sid, i in found.items() if i.last_seen_ms >= start_ms}
        return sorted(found.values(), key=lambda i: (i.key.name, i.key.labels.pairs))[:limit]

    async def count_series(self, tenant: str) -> int:
        async with self._reader() as conn:
            unflushed = list({sid for h in self._pending() for sid, m in h.new_series.items() if m.key.tenant == tenant})
            cur = await conn.execute(
                "SELECT (SELECT count(*) FROM oe_series WHERE tenant = %s), (SELECT count(*) FROM unnest(%s::bigint[]) u(id) "
                "WHERE NOT EXISTS (SELECT 1 FROM oe_series s WHERE s.id = u.id))", (tenant, unflushed))
            stored, pending = await cur.fetchone()
        return stored + pending

    # ----------------------------------------------------------------- maintenance

    async def compact(self, older_than_ms: int, **options: int) -> compaction.CompactionReport:
        """Merge the chunks of every window that ends at or before ``older_than_ms`` into
        one per series, and compute its rollups. Safe while writers run. ``options``:
        ``series_per_transaction``, ``min_samples_per_bucket`` (see compaction.py)."""
        await self._ready()
        return await compaction.compact(self._url, older_than_ms, **options)

    async def maintain(self, now_ms: int, retention_ms: int) -> list[str]:
        """Create partitions ahead of ``now_ms`` and drop those older than the retention.

        On a connection of its own: the store's connection belongs to the flusher,
        whose transaction a concurrent DDL transaction would otherwise join."""
        await self._ready()
        today = now_ms // DAY_MS
        async with await psycopg.AsyncConnection.connect(self._url, autocommit=True) as conn:
            await schema.create_partitions(conn, set(range(today, today + self._ahead + 1)))
            self._days |= set(range(today, today + self._ahead + 1))
            dropped = await schema.drop_partitions_before(conn, now_ms - retention_ms)
        self._days = {d for d in self._days if (d + 1) * DAY_MS > now_ms - retention_ms}
        self._series.clear()  # retention may have removed catalogue rows: upsert them again
        return dropped


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
