"""SQLite sample store: the embedded default. Correct, durable, not fast.

Why this simple shape: the embedded stack serves one host's metrics, so one row per
sample keyed by (series, timestamp) is plenty, and ``INSERT OR REPLACE`` on that key
gives the port's replace-not-duplicate rule for free. Samples, catalogue and bus
positions are written in one transaction, so the bus stays the write-ahead log here too.

Values are stored as the 64-bit pattern of the float (an INTEGER), because SQLite turns
a NaN REAL into NULL; this keeps NaN payloads and ±Inf bit-exact. sqlite3 blocks, so
every call runs in a worker thread (``asyncio.to_thread``) behind one lock.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import struct
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from domain.metrics.batch import SampleBatch
from domain.metrics.kinds import MetricKind
from domain.metrics.labels import LabelSet
from domain.metrics.matchers import METRIC_NAME_LABEL, MatchOp
from domain.metrics.query import Selector
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from ports.samples import BusPosition, SeriesArrays, SeriesData, SeriesInfo, SeriesMatch, SeriesRollup
from services.rollups import rollup

_DDL = """
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, name TEXT NOT NULL, labels TEXT NOT NULL,
    kind TEXT NOT NULL, unit TEXT NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS series_tenant_name ON series (tenant, name);
CREATE TABLE IF NOT EXISTS samples (
    series_id INTEGER NOT NULL, ts INTEGER NOT NULL, bits INTEGER NOT NULL,
    PRIMARY KEY (series_id, ts)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS offsets (
    topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, partition)
);
"""

_TO_BITS = struct.Struct("<d")
_FROM_BITS = struct.Struct("<q")


def _bits(v: float) -> int:
    return _FROM_BITS.unpack(_TO_BITS.pack(v))[0]


def _value(bits: int) -> float:
    return _TO_BITS.unpack(_FROM_BITS.pack(bits))[0]


class SqliteSampleStore:
    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            if self._path != ":memory:":
                Path(self._path).parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_DDL)
            self._db = db
        return self._db

    async def _run(self, fn, *args):
        def locked():
            with self._lock:
                return fn(self._conn(), *args)

        return await asyncio.to_thread(locked)

    # ----------------------------------------------------------------- writing

    async def write(self, batches: Sequence[SampleBatch], positions: Sequence[BusPosition] = ()) -> None:
        series, rows = [], []
        for batch in batches:
            for s in batch.series:
                if not s.samples:
                    continue
                sid = s.series_id
                ts = [p.timestamp_ms for p in s.samples]
                series.append((sid, batch.tenant, s.key.name, json.dumps(s.key.labels.pairs), s.kind.value, s.unit, min(ts), max(ts)))
                rows.extend((sid, p.timestamp_ms, _bits(p.value)) for p in s.samples)
        offsets = [(p.topic, p.partition, p.offset) for p in positions]
        await self._run(self._write, series, rows, offsets)

    @staticmethod
    def _write(db: sqlite3.Connection, series, rows, offsets) -> None:
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                "INSERT INTO series VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)",
                series,
            )
            db.executemany("INSERT OR REPLACE INTO samples VALUES (?, ?, ?)", rows)
            db.executemany(
                "INSERT INTO offsets VALUES (?, ?, ?) ON CONFLICT(topic, partition) DO UPDATE SET next_offset = excluded.next_offset",
                offsets,
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    async def flush(self) -> None:
        """Nothing is buffered: every write is committed before it returns."""

    async def close(self) -> None:
        def shut():
            with self._lock:
                if self._db is not None:
                    self._db.close()
                    self._db = None

        await asyncio.to_thread(shut)

    # ----------------------------------------------------------------- maintenance

    async def compact(self, older_than_ms: int) -> None:
        """Nothing to reorganise: one row per sample (ports.samples.Maintainable)."""

    async def maintain(self, now_ms: int, retention_ms: int) -> list[str]:
        """Delete samples older than ``now_ms - retention_ms`` and the series left
        without any; the embedded stack's database would otherwise only grow. Deletes
        go series by series (the primary key's order), never as one full-table scan."""
        return await self._run(self._retain, now_ms - retention_ms)

    @staticmethod
    def _retain(db: sqlite3.Connection, cutoff: int) -> list[str]:
        db.execute("BEGIN IMMEDIATE")
        try:
            old = [r[0] for r in db.execute("SELECT id FROM series WHERE first_seen < ?", (cutoff,))]
            samples = 0
            for sid in old:
                samples += db.execute("DELETE FROM samples WHERE series_id = ? AND ts < ?", (sid, cutoff)).rowcount
            emptied = db.execute("DELETE FROM series WHERE last_seen < ?", (cutoff,)).rowcount
            db.executemany(
                "UPDATE series SET first_seen = coalesce((SELECT min(ts) FROM samples WHERE series_id = ?), first_seen) WHERE id = ?",
                [(sid, sid) for sid in old],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return [f"{samples} samples before {cutoff} ({emptied} series emptied)"] if samples else []

    async def positions(self, topic: str) -> dict[int, int]:
        rows = await self._run(lambda db: db.execute("SELECT partition, next_offset FROM offsets WHERE topic = ?", (topic,)).fetchall())
        return dict(rows)

    # ----------------------------------------------------------------- reading

    async def _match(self, tenant: str, selectors: Sequence[Selector], start_ms: int | None, end_ms: int | None) -> list[SeriesInfo]:
        sql, params = "SELECT name, labels, kind, unit, first_seen, last_seen FROM series WHERE tenant = ?", [tenant]
        names = {_name(s) for s in selectors}
        if selectors and None not in names:
            sql += f" AND name IN ({', '.join('?' * len(names))})"
            params += sorted(names)
        if start_ms is not None:
            sql += " AND last_seen >= ?"
            params.append(start_ms)
        if end_ms is not None:
            sql += " AND first_seen <= ?"
            params.append(end_ms)
        rows = await self._run(lambda db: db.execute(sql, params).fetchall())
        out = []
        for name, labels, kind, unit, first, last in rows:
            ls = LabelSet(tuple(tuple(p) for p in json.loads(labels)))
            if not selectors or any(s.matches(name, ls) for s in selectors):
                out.append(SeriesInfo(SeriesKey(tenant, name, ls), MetricKind(kind), unit, first, last))
        return out

    async def select(self, tenant: str, selector: Selector, start_ms: int, end_ms: int) -> list[SeriesData]:
        found = await self._match(tenant, [selector], start_ms, end_ms)

        def read(db: sqlite3.Connection) -> list[SeriesData]:
            out = []
            for info in found:
                rows = db.execute(
                    "SELECT ts, bits FROM samples WHERE series_id = ? AND ts BETWEEN ? AND ? ORDER BY ts",
                    (info.key.id, start_ms, end_ms),
                ).fetchall()
                if rows:
                    out.append(SeriesData(info.key, [Sample(t, _value(b)) for t, b in rows]))
            return out

        return await self._run(read)

    async def match_series(self, tenant: str, selector: Selector, start_ms: int, end_ms: int) -> list[SeriesMatch]:
        found = await self._match(tenant, [selector], start_ms, end_ms)

        def count(db: sqlite3.Connection) -> list[SeriesMatch]:
            out = []
            for info in found:
                (n,) = db.execute(
                    "SELECT count(*) FROM samples WHERE series_id = ? AND ts BETWEEN ? AND ?", (info.key.id, start_ms, end_ms)
                ).fetchone()
                if n:
                    out.append(SeriesMatch(info.key, n))
            return out

        return await self._run(count)

    async def read_arrays(self, tenant: str, keys: Sequence[SeriesKey], start_ms: int, end_ms: int) -> list[SeriesArrays]:
        def read(db: sqlite3.Connection) -> list[SeriesArrays]:
            out = []
            for key in keys:
                if key.tenant != tenant:
                    continue
                rows = db.execute(
                    "SELECT ts, bits FROM samples WHERE series_id = ? AND ts BETWEEN ? AND ? ORDER BY ts",
                    (key.id, start_ms, end_ms),
                ).fetchall()
                if rows:
                    cols = np.array(rows, dtype=np.int64)
                    out.append(SeriesArrays(key, cols[:, 0].copy(), cols[:, 1].view(np.float64).copy()))
            return out

        return await self._run(read)

    async def select_rollup(self, tenant: str, selector: Selector, start_ms: int, end_ms: int, step_ms: int) -> list[SeriesRollup]:
        if step_ms <= 0:
            raise ValueError("step_ms must be positive")
        lo, hi = start_ms - start_ms % step_ms, end_ms - end_ms % step_ms + step_ms - 1
        return [rollup(d.key, d.samples, step_ms) for d in await self.select(tenant, selector, lo, hi)]

    async def series(
        self, tenant: str, selectors: Sequence[Selector], start_ms: int | None, end_ms: int | None, limit: int
    ) -> list[SeriesInfo]:
        found = await self._match(tenant, selectors, start_ms, end_ms)
        return sorted(found, key=lambda i: (i.key.name, i.key.labels.pairs))[:limit]

    async def count_series(self, tenant: str) -> int:
        rows = await self._run(lambda db: db.execute("SELECT count(*) FROM series WHERE tenant = ?", (tenant,)).fetchall())
        return rows[0][0]


def _name(selector: Selector) -> str | None:
    """The one metric name a selector can match, if it pins one (used to narrow in SQL)."""
    if selector.metric is not None:
        return selector.metric
    for m in selector.matchers:
        if m.name == METRIC_NAME_LABEL and m.op is MatchOp.EQ:
            return m.value
    return None


