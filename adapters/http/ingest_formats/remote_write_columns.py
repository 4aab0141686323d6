"""Remote write 1.0 straight to columns: the ingest hot path (docs/adr/0013-ingest-hot-path.md).

A Prometheus request is thousands of series of ~6 labels and one sample each, and
the same series come back every scrape. So:

1. ``scan`` walks the protobuf once and returns, per series, the raw bytes of its
   labels as the client sent them, and every timestamp and value as packed arrays. It
   is the C extension ``_rwscan`` when it was built at install time, else
   ``scan_python`` (same results, compared by the differential tests). Anything but
   the common encoding, and metadata, histograms and exemplars, make it return ``None``.
2. Each series is resolved from a bounded LRU cache keyed by (tenant, those raw label
   bytes): its id and its descriptor for the bus. Only a series not in the cache goes
   through the general label parsing and validation (``IngestService.validate``);
   only valid series are cached.
3. Request-wide checks run vectorised: sample and series limits, the timestamp window,
   each series' timestamps in order, no series twice.

Whenever any step says no, ``decode`` returns ``None`` and the route decodes the
request with the general decoder, which accepts or rejects it and says why. So the
fast path accepts exactly what the general path accepts, with the same series and
samples, and never produces an error of its own
(``tests/unit/http/test_remote_write_columns.py``).
"""

from __future__ import annotations

import struct

import numpy as np

from adapters.http.ingest_formats import protowire as pw
from adapters.http.ingest_formats.errors import MalformedPayload
from adapters.http.ingest_formats.remote_write import _kind_for, _label, _split_name
from domain.errors import DomainError
from ports.columnar import ColumnarBatch, describe
from services.ingest import IngestService, RawSeries
from services.lru import LruCache

try:  # built by setup.py from _rwscan.c when a compiler was there at install time
    from adapters.http.ingest_formats._rwscan import scan as scan_native
except ImportError:  # pragma: no cover - depends on the install
    scan_native = None

Scanned = tuple[list[bytes], bytes, bytes, bytes]
_I64 = struct.Struct("<q")


class _Unusual(Exception):
    pass


def scan_python(data: bytes) -> Scanned | None:
    """What ``_rwscan.scan`` returns, in Python: ``(label bytes per series, counts,
    timestamps, values)`` (the last three packed little-endian int64/int64/float64),
    or ``None`` for anything but the usual encoding of series with samples only."""
    if type(data) is not bytes:
        return None
    try:
        return _scan(data)
    except _Unusual:
        return None


def _varint(data: bytes, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    for k in range(10):
        if pos >= end:
            raise _Unusual
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            if k == 9 and b > 1:
                raise _Unusual
            return result & 0xFFFFFFFFFFFFFFFF, pos
        shift += 7
    raise _Unusual


def _length(data: bytes, pos: int, end: int) -> tuple[int, int]:
    start = pos
    n, pos = _varint(data, pos, end)
    if pos - start > 4:
        raise _Unusual
    return n, pos


def _label_ok(data: bytes, a: int, b: int) -> None:
    for tag in (0x0A, 0x12):
        if a < b and data[a] == tag:
            n, a = _length(data, a + 1, b)
            if a + n > b:
                raise _Unusual
            a += n
    if a != b:
        raise _Unusual


def _scan(data: bytes) -> Scanned:
    spans: list[bytes] = []
    counts: list[int] = []
    ts: list[int] = []
    vs: list[bytes] = []
    size, top = len(data), 0
    while top < size:
        if data[top] != 0x0A:
            raise _Unusual
        n, top = _length(data, top + 1, size)
        end = top + n
        if end > size:
            raise _Unusual
        pos = labels_from = labels_to = top
        count, in_samples = 0, False
        while pos < end:
            tag = data[pos]
            length, a = _length(data, pos + 1, end)
            b = a + length
            if b > end:
                raise _Unusual
            if tag == 0x0A and not in_samples:
                _label_ok(data, a, b)
                labels_to = b
            elif tag == 0x12:
                value, t = b"\0" * 8, 0
                if a < b and data[a] == 0x09:
                    if a + 9 > b:
                        raise _Unusual
                    value = data[a + 1:a + 9]
                    a += 9
                if a < b and data[a] == 0x10:
                    t, a = _varint(data, a + 1, b)
                if a != b:
                    raise _Unusual
                ts.append(t - (1 << 64) if t >= 1 << 63 else t)
                vs.append(value)
                in_samples = True
                count += 1
            else:
                raise _Unusual
            pos = b
        spans.append(data[labels_from:labels_to])
        counts.append(count)
        top = end
    return spans, struct.pack(f"<{len(counts)}q", *counts), struct.pack(f"<{len(ts)}q", *ts), b"".join(vs)


scan = scan_native if scan_native is not None else scan_python


class SeriesResolver:
    """Raw label bytes -> (series id, bus descriptor): one LRU cache per tenant, each
    holding up to ``capacity`` series (tenants are few and made by an administrator)."""

    def __init__(self, ingest: IngestService, capacity: int) -> None:
        self._ingest = ingest
        self.capacity = capacity
        self.caches: dict[str, LruCache[bytes, tuple[int, bytes]]] = {}

    def cache(self, tenant: str) -> LruCache[bytes, tuple[int, bytes]]:
        got = self.caches.get(tenant)
        if got is None:
            got = self.caches[tenant] = LruCache(self.capacity)
        return got

    def resolve_all(self, tenant: str, spans: list[bytes]) -> list[tuple[int, bytes]] | None:
        """Every span's (id, descriptor), or None when one does not validate. Hits cost
        one dictionary lookup each, done by ``map`` in C."""
        cache = self.cache(tenant)
        found = cache.peek_many(spans)
        if None in found:
            for i, hit in enumerate(found):
                if hit is None:
                    hit = found[i] = self.resolve(tenant, spans[i], f"timeseries[{i}]")
                    if hit is None:
                        return None
        cache.touch(spans)
        return found  # type: ignore[return-value]

    def resolve(self, tenant: str, raw: bytes, at: str) -> tuple[int, bytes] | None:
        cache = self.cache(tenant)
        hit = cache.get(raw)
        if hit is not None:
            return hit
        try:
            pairs = [_label(raw, a, b, at) for num, wire, a, b in pw.fields(raw, 0, len(raw), at)
                     if num == 1 and wire == pw.LEN]
            name, labels = _split_name(pairs, at)
            kind = _kind_for(name, labels, None)
            batch = self._ingest.validate(tenant, [RawSeries(name, labels, [], kind, "", at)])
        except (DomainError, MalformedPayload):
            return None  # the general path says what is wrong
        s = batch.series[0]
        entry = (s.key.id, describe(s.key, s.kind, s.unit))
        cache.put(raw, entry)
        return entry


def decode(body: bytes, tenant: str, ingest: IngestService, resolver: SeriesResolver) -> ColumnarBatch | None:
    """The request as a validated columnar batch, or ``None``: decode it the general way."""
    scanned = scan(body)
    if scanned is None or not scanned[0]:
        return None
    spans, counts_raw, ts_raw, vs_raw = scanned
    limits = ingest.limits
    counts = np.frombuffer(counts_raw, "<i8")
    ts = np.frombuffer(ts_raw, "<i8")
    vs = np.frombuffer(vs_raw, "<f8")
    if ts.size > limits.max_samples_per_batch or len(spans) > limits.max_series_per_batch or not counts.all():
        return None
    lo, hi = ingest.accepted_window()
    if int(ts.min()) < lo or int(ts.max()) > hi:
        return None
    if ts.size > counts.size:  # some series have several samples: in order within each?
        backwards = ts[1:] < ts[:-1]
        backwards[np.cumsum(counts)[:-1] - 1] = False  # from one series to the next
        if backwards.any():
            return None
    found = resolver.resolve_all(tenant, spans)
    if found is None:
        return None
    ids, descriptors = zip(*found)
    if len(set(ids)) != len(ids):  # the general path merges a series sent twice
        return None
    return ColumnarBatch.assemble(tenant, np.array(ids, dtype=np.int64), counts, ts, vs, descriptors)
