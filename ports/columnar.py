"""A sample batch as columns: what the ingest hot path publishes and the writer stores.

Why a second shape beside ``SampleBatch``: a batch of objects costs 10-20 Python objects
per sample in the API and again in the writer, and the garbage collector rescans them
all (docs/adr/0013-ingest-hot-path.md). Here a batch is four numpy arrays - one series
id and sample count per series, every timestamp and every value of the batch - plus a
*series table*: per series a short descriptor (name, labels, kind, unit) as bytes,
decoded only by whoever meets the series for the first time (the writer keeps what it
has seen in an LRU cache). Series ids are computed and validated at ingest; consumers
trust them, as they trust the ids of ``SampleBatch`` messages.

Samples of a series are contiguous and in the order they were sent; a series appears
once per batch.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass

import numpy as np

from domain.metrics.batch import SampleBatch, SeriesSamples
from domain.metrics.kinds import MetricKind
from domain.metrics.labels import LabelSet
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey

_KIND_BY_VALUE = {k.value: k for k in MetricKind}


def describe(key: SeriesKey, kind: MetricKind, unit: str) -> bytes:
    """The descriptor of one series: compact JSON ``{"kind", "unit", "name", "labels"}``
    in that order, labels in their canonical order. ``"name"`` onwards is what a live
    update says of a series, so the writer can cut it out instead of re-encoding it
    (``name_and_labels``); kind and unit come first so nothing in them can look like
    that key (a quote inside a JSON string is always escaped)."""
    doc = {"kind": kind.value, "unit": unit, "name": key.name, "labels": dict(key.labels.pairs)}
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def undescribe(tenant: str, series_id: int, blob: bytes) -> tuple[SeriesKey, MetricKind, str]:
    doc = json.loads(blob)
    key = SeriesKey.with_known_id(tenant, doc["name"], LabelSet(tuple(doc["labels"].items())), series_id)
    return key, _KIND_BY_VALUE[doc["kind"]], doc["unit"]


def name_and_labels(descriptor: bytes) -> bytes:
    """``"name":...,"labels":{...}}``: the tail of a descriptor, a JSON object's end."""
    return descriptor[descriptor.index(b',"name":') + 1:]


@dataclass(frozen=True, slots=True, eq=False)
class ColumnarBatch:
    """``series_ids``/``counts`` (int64, one per series), ``timestamps`` (int64 ms) and
    ``values`` (float64, bit patterns kept), ``table``: the descriptors of the series,
    concatenated, with ``table_offsets`` (int64, one more than there are series)."""

    tenant: str
    series_ids: np.ndarray
    counts: np.ndarray
    timestamps: np.ndarray
    values: np.ndarray
    table: bytes
    table_offsets: np.ndarray

    @property
    def sample_count(self) -> int:
        return int(self.timestamps.size)

    def __len__(self) -> int:
        return int(self.series_ids.size)

    def descriptor(self, i: int) -> bytes:
        return self.table[int(self.table_offsets[i]):int(self.table_offsets[i + 1])]

    def meta(self, i: int) -> tuple[SeriesKey, MetricKind, str]:
        """Series ``i``'s key (its id trusted), kind and unit: decoded on demand."""
        return undescribe(self.tenant, int(self.series_ids[i]), self.descriptor(i))

    def starts(self) -> np.ndarray:
        """Index of each series' first sample in ``timestamps``/``values``."""
        out = np.zeros(self.series_ids.size, dtype=np.int64)
        if out.size > 1:
            np.cumsum(self.counts[:-1], out=out[1:])
        return out

    def per_sample_ids(self) -> np.ndarray:
        return np.repeat(self.series_ids, self.counts)

    def take(self, rows: np.ndarray) -> "ColumnarBatch":
        """The batch of the series at positions ``rows`` (in that order)."""
        starts, counts = self.starts()[rows], self.counts[rows]
        if counts.size:
            sample_idx = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts) + np.arange(int(counts.sum()))
        else:
            sample_idx = np.empty(0, np.int64)
        lo, hi = self.table_offsets[rows], self.table_offsets[rows + 1]
        table = b"".join(self.table[a:b] for a, b in zip(lo.tolist(), hi.tolist()))
        offsets = np.zeros(rows.size + 1, dtype=np.int64)
        np.cumsum(hi - lo, out=offsets[1:])
        return ColumnarBatch(self.tenant, self.series_ids[rows], counts, self.timestamps[sample_idx],
                             self.values[sample_idx], table, offsets)

    @classmethod
    def concat(cls, batches: Sequence["ColumnarBatch"]) -> "ColumnarBatch":
        """One batch of ``batches`` (one tenant, no series in two of them: the caller
        checks), series in the order given."""
        tables = [b.table for b in batches]
        sizes = np.fromiter(map(len, tables), dtype=np.int64, count=len(tables))
        shifts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        offsets = np.concatenate([b.table_offsets[:-1] + shift for b, shift in zip(batches, shifts)] + [sizes.sum(keepdims=True)])
        return cls(batches[0].tenant, np.concatenate([b.series_ids for b in batches]),
                   np.concatenate([b.counts for b in batches]), np.concatenate([b.timestamps for b in batches]),
                   np.concatenate([b.values for b in batches]), b"".join(tables), offsets.astype(np.int64))

    def split_by_shard(self, shards: int) -> dict[int, "ColumnarBatch"]:
        """One batch per bus partition touched (the series id modulo ``shards``, as
        ``SeriesKey.shard``: numpy's ``%`` with a positive divisor is never negative)."""
        shard_of = self.series_ids % shards
        if not shard_of.size:
            return {}
        if (shard_of == shard_of[0]).all():
            return {int(shard_of[0]): self}
        order = np.argsort(shard_of, kind="stable")
        cuts = np.flatnonzero(np.diff(shard_of[order])) + 1
        return {int(shard_of[rows[0]]): self.take(rows) for rows in np.split(order, cuts)}

    def to_batch(self, known: MutableMapping[bytes, tuple[SeriesKey, MetricKind, str]] | None = None) -> SampleBatch:
        """The same batch as objects, for consumers that want ``SampleBatch``. ``known``
        (the caller's bounded cache: descriptor -> key, kind, unit) spares decoding the
        descriptor of a series met before (kind and unit are in the descriptor, so a
        series whose kind changed is decoded again)."""
        ts, vs = self.timestamps.tolist(), self.values.tolist()
        out, start = [], 0
        ids, table = self.series_ids.tolist(), self.table
        bounds = self.table_offsets.tolist()
        for i, n in enumerate(self.counts.tolist()):
            descriptor = table[bounds[i]:bounds[i + 1]]
            meta = known.get(descriptor) if known is not None else None
            if meta is None or meta[0].tenant != self.tenant or meta[0].id != ids[i]:
                meta = undescribe(self.tenant, ids[i], descriptor)
                if known is not None:
                    known[descriptor] = meta
            key, kind, unit = meta
            end = start + n
            out.append(SeriesSamples(key, tuple(map(Sample, ts[start:end], vs[start:end])), kind, unit))
            start = end
        return SampleBatch(self.tenant, tuple(out))

    @classmethod
    def from_batch(cls, batch: SampleBatch) -> "ColumnarBatch":
        return cls.of(batch.tenant, [(s.key, s.kind, s.unit) for s in batch.series], [s.samples for s in batch.series])

    @classmethod
    def of(cls, tenant: str, metas: Sequence[tuple[SeriesKey, MetricKind, str]], samples: Sequence[Sequence[Sample]]) -> "ColumnarBatch":
        descriptors = [describe(*m) for m in metas]
        counts = np.fromiter((len(s) for s in samples), dtype=np.int64, count=len(samples))
        total = int(counts.sum())
        ts = np.fromiter((p[0] for s in samples for p in s), dtype=np.int64, count=total)
        vs = np.fromiter((p[1] for s in samples for p in s), dtype=np.float64, count=total)
        ids = np.fromiter((m[0].id for m in metas), dtype=np.int64, count=len(metas))
        return cls.assemble(tenant, ids, counts, ts, vs, descriptors)

    @classmethod
    def assemble(cls, tenant: str, ids: np.ndarray, counts: np.ndarray, ts: np.ndarray, vs: np.ndarray,
                 descriptors: Sequence[bytes]) -> "ColumnarBatch":
        offsets = np.zeros(len(descriptors) + 1, dtype=np.int64)
        if descriptors:
            np.cumsum(np.fromiter(map(len, descriptors), dtype=np.int64, count=len(descriptors)), out=offsets[1:])
        return cls(tenant, ids, counts, ts, vs, b"".join(descriptors), offsets)
