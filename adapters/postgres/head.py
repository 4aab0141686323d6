"""The writer's head: samples accepted by ``write`` and not yet flushed, per series.

Why it is shaped like this: ``write`` runs once per consumer batch and must cost almost
nothing per sample, so it only appends the batch's columns (series id per sample,
timestamps, values: numpy arrays) to a list. The flush concatenates them, sorts and
de-duplicates them by (series, time) in one vectorised pass, cuts them into one chunk
per series and compaction window, and encodes them.
The bus positions and the catalogue changes ride along, so a flush commits exactly
what the head holds, and its positions say which bus messages that is.
"""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import zstandard

from domain.metrics.kinds import MetricKind
from domain.metrics.series import SeriesKey

WINDOW_MS = 2 * 3600 * 1000  # compaction window: chunks never cross one (nor a day)
DAY_MS = 24 * 3600 * 1000

RAW_VERSION = 2
_RAW = struct.Struct("<BBI")
_COPY_ROW = struct.Struct(">hiqiqiqiiiqi")
_MIN_COMPRESS = 16
_raw_compressor = zstandard.ZstdCompressor(level=1)
_decompressor = zstandard.ZstdDecompressor()


@dataclass(frozen=True, slots=True, eq=False)  # identity: compared with None in bulk on the hot path
class SeriesMeta:
    key: SeriesKey
    kind: MetricKind
    unit: str


class CachedSeries:
    """The writer's memory of a series: its metadata, and the first/last seen it knows
    the catalogue holds at least (None until its insert committed)."""

    __slots__ = ("meta", "first", "last")

    def __init__(self, meta: SeriesMeta) -> None:
        self.meta = meta
        self.first: int | None = None
        self.last: int | None = None


@dataclass
class Head:
    """Unflushed samples as column runs in arrival order, positions and new series.

    ``columns`` holds one ``(series id per sample, timestamps, values)`` run per write;
    ``counts`` the samples each series has here (membership, and the chunk-size cap).
    Reads of the head sort it once by (series, time) and keep that view until the next
    write (``_sorted``)."""

    counts: Counter[int] = field(default_factory=Counter)
    columns: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    positions: dict[tuple[str, int], int] = field(default_factory=dict)
    new_series: dict[int, SeriesMeta] = field(default_factory=dict)
    samples: int = 0
    growth_bound: int = 0  # no series here has more samples than this (cheap cap check)
    _sorted: tuple[np.ndarray, np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def empty(self) -> bool:
        return not self.counts and not self.positions and not self.new_series

    def add(self, sids: np.ndarray, ts: np.ndarray, vs: np.ndarray) -> None:
        """Append one run (``sids`` per sample). ``counts`` is the caller's to update."""
        if ts.size:
            self.columns.append((sids, ts, vs))
            self.samples += int(ts.size)
            self._sorted = None

    def under(self, newer: "Head") -> "Head":
        """This head with ``newer`` on top (newer samples win): puts a failed flush back."""
        merged = Head(self.counts + newer.counts, [*self.columns, *newer.columns], {**self.positions, **newer.positions},
                      {**self.new_series, **newer.new_series}, self.samples + newer.samples,
                      self.growth_bound + newer.growth_bound)
        return merged

    def flat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every sample as (series id, timestamp, value), in arrival order."""
        if not self.columns:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
        if len(self.columns) == 1:
            return self.columns[0]
        return tuple(np.concatenate(c) for c in zip(*self.columns))  # type: ignore[return-value]

    def sorted(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``flat`` sorted by (series, time), the last write of a (series, time) kept."""
        if self._sorted is None:
            self._sorted = sort_dedupe(*self.flat())
        return self._sorted

    def arrays(self, sid: int) -> tuple[np.ndarray, np.ndarray]:
        """One series' samples, sorted by time, the last write of a timestamp kept."""
        if sid not in self.counts:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        sids, ts, vs = self.sorted()
        a, b = np.searchsorted(sids, sid, "left"), np.searchsorted(sids, sid, "right")
        return ts[a:b], vs[a:b]


def sort_dedupe(seg: np.ndarray, ts: np.ndarray, vs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort by (segment, time), keeping the *last* of equal (segment, time) in input order.

    The common case (already in order, no repeats) is detected in one pass and costs
    no sort.
    """
    if ts.size > 1:
        ordered = (seg[1:] > seg[:-1]) | ((seg[1:] == seg[:-1]) & (ts[1:] > ts[:-1]))
        if not ordered.all():
            order = np.lexsort((ts, seg))  # stable: equal keys keep arrival order
            seg, ts, vs = seg[order], ts[order], vs[order]
            last = np.ones(ts.size, dtype=bool)
            last[:-1] = (seg[1:] != seg[:-1]) | (ts[1:] != ts[:-1])
            seg, ts, vs = seg[last], ts[last], vs[last]
    return seg, ts, vs


@dataclass
class FlushRows:
    """What one flush writes: chunk rows and per-series first/last seen."""

    chunks: list[tuple[int, int, int, int, bytes]]  # series id, start, end, n, data
    seen_ids: np.ndarray  # each series of this flush once, ascending
    seen_first: np.ndarray  # its first and last timestamp in this flush
    seen_last: np.ndarray
    days: set[int]

    @property
    def seen(self) -> dict[int, tuple[int, int]]:
        """Series id -> (first, last) in this flush."""
        return dict(zip(self.seen_ids.tolist(), zip(self.seen_first.tolist(), self.seen_last.tolist())))


def build_rows(head: Head) -> FlushRows:
    """Flatten, sort, de-duplicate and cut the head into chunk rows (numpy, no per-sample Python)."""
    if not head.samples:
        empty = np.empty(0, np.int64)
        return FlushRows([], empty, empty, empty, set())
    seg, ts, vs = head.sorted()
    window = np.floor_divide(ts, WINDOW_MS)
    cut = np.flatnonzero((seg[1:] != seg[:-1]) | (window[1:] != window[:-1])) + 1
    starts = np.concatenate(([0], cut))
    ends = np.concatenate((cut, [ts.size]))
    deltas = np.empty_like(ts)
    deltas[0] = ts[0]
    np.subtract(ts[1:], ts[:-1], out=deltas[1:])
    deltas[starts] = ts[starts]  # each chunk starts with its absolute first timestamp
    dbytes, vbytes = deltas.tobytes(), vs.tobytes()
    chunks = []
    first_ts, last_ts, chunk_sid = ts[starts].tolist(), ts[ends - 1].tolist(), seg[starts].tolist()
    for a, b, t0, t1, sid in zip(starts.tolist(), ends.tolist(), first_ts, last_ts, chunk_sid):
        n = b - a
        body = dbytes[a * 8:b * 8] + vbytes[a * 8:b * 8]
        flags = 0
        if n >= _MIN_COMPRESS:
            body, flags = _raw_compressor.compress(body), 1
        chunks.append((sid, t0, t1, n, _RAW.pack(RAW_VERSION, flags, n) + body))
    days = set(np.unique(np.floor_divide(ts[starts], DAY_MS)).tolist())
    # Sorted by (series, time): a series' first sample opens its run, its last closes it.
    opens = np.flatnonzero(np.concatenate(([True], seg[1:] != seg[:-1])))
    closes = np.concatenate((opens[1:], [ts.size])) - 1
    return FlushRows(chunks, seg[opens], ts[opens], ts[closes], days)


def is_raw(blob: bytes) -> bool:
    return blob[0] == RAW_VERSION


def decode_raw(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    _, flags, n = _RAW.unpack_from(blob, 0)
    body = memoryview(blob)[_RAW.size:]
    if flags & 1:
        body = _decompressor.decompress(body)
    ts = np.cumsum(np.frombuffer(body, dtype=np.int64, count=n))
    vs = np.frombuffer(body, dtype=np.float64, count=n, offset=8 * n).copy()
    return ts, vs


def copy_payload(rows: Sequence[tuple[int, int, int, int, int, bytes]]) -> bytes:
    """A binary COPY stream for (series_id, start, end, n, seq, data) rows, built in one go."""
    out = [b"PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00"]
    pack = _COPY_ROW.pack
    for sid, start, end, n, seq, data in rows:
        out.append(pack(6, 8, sid, 8, start, 8, end, 4, n, 8, seq, len(data)))
        out.append(data)
    out.append(b"\xff\xff")
    return b"".join(out)
