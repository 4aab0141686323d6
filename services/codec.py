"""Wire format of bus messages (the same bytes on the in-process bus and on Kafka).

A telemetry message is one sample batch of one shard: zlib-compressed JSON laid out in
columns over the whole batch (version 2): per series its name, flat label pairs, id,
kind, unit and sample count; then every timestamp of the batch in one array and every
value as the base64 of one run of packed little-endian float64s. So a batch never turns
into one JSON object per series or per sample on the wire, decoding is a handful of
list slices, and every value round-trips bit for bit, NaN payloads included
(Prometheus' staleness marker is a NaN with a particular payload). The series id
travels along: it was computed at ingest, and the writer and evaluators need it for
every series (a blake2b each otherwise).

Version 3 (``encode_columns``, what ingest publishes now) is binary and columnar: a
fixed header, then the series ids and per-series sample counts, every timestamp and
every value as raw little-endian int64/float64 runs (``np.frombuffer`` reads them back
without a Python object per sample), then the series table: one short descriptor per
series (``ports/columnar.py``), which a consumer decodes only for series it has not
met before. See docs/adr/0013-ingest-hot-path.md.

Versions 1 (a JSON object per series) and 2 are still read, so messages published
before an upgrade are written after it (a rolling upgrade).
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any

import numpy as np

from domain.alerts.state import AlertState, AlertTransition
from domain.metrics.batch import SampleBatch, SeriesSamples
from domain.metrics.kinds import MetricKind
from domain.metrics.labels import LabelSet
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from ports.columnar import ColumnarBatch
from services.lru import LruCache

FORMAT_VERSION = 1  # transitions and other JSON documents
BATCH_FORMAT = 2  # telemetry batches (JSON columns); 1 is still decoded
COLUMNS_MAGIC = b"\x00OE3"  # format 3: never the first bytes of a zlib stream (0x78 ..)
# magic, tenant length, series, samples, series-table length
_COLUMNS_HEADER = struct.Struct("<4sIQQQ")
_KIND_BY_VALUE = {k.value: k for k in MetricKind}


def encode_batch(batch: SampleBatch) -> bytes:
    names, labels, ids, kinds, units, counts = [], [], [], [], [], []
    timestamps: list[int] = []
    values: list[float] = []
    for s in batch.series:
        key = s.key
        names.append(key.name)
        labels.append([x for pair in key.labels.pairs for x in pair])
        ids.append(key.id)
        kinds.append(s.kind.value)
        units.append(s.unit)
        counts.append(len(s.samples))
        for t, v in s.samples:
            timestamps.append(t)
            values.append(v)
    doc = {"v": BATCH_FORMAT, "tenant": batch.tenant, "name": names, "labels": labels, "id": ids,
           "kind": kinds, "unit": units, "n": counts, "t": timestamps, "values": _pack(values)}
    return zlib.compress(json.dumps(doc, separators=(",", ":")).encode(), 1)


def encode_columns(batch: ColumnarBatch) -> bytes:
    """Format 3: header, ids, counts, timestamps, values, table offsets, tenant, table.
    Every array starts at a multiple of 8 bytes."""
    tenant = batch.tenant.encode()
    ns, n = len(batch), batch.sample_count
    return b"".join((
        _COLUMNS_HEADER.pack(COLUMNS_MAGIC, len(tenant), ns, n, len(batch.table)),
        batch.series_ids.astype("<i8", copy=False).tobytes(), batch.counts.astype("<i8", copy=False).tobytes(),
        batch.timestamps.astype("<i8", copy=False).tobytes(), batch.values.astype("<f8", copy=False).tobytes(),
        batch.table_offsets.astype("<i8", copy=False).tobytes(), tenant, batch.table,
    ))


def decode_columns(data: bytes) -> ColumnarBatch:
    """A format 3 message as columns (arrays are read-only views of ``data``)."""
    magic, tenant_len, ns, n, table_len = _COLUMNS_HEADER.unpack_from(data, 0)
    if magic != COLUMNS_MAGIC:
        raise ValueError("not a format 3 telemetry message")
    at = _COLUMNS_HEADER.size
    if len(data) != at + 8 * (3 * ns + 1 + 2 * n) + tenant_len + table_len:
        raise ValueError(f"format 3 telemetry message of {len(data)} bytes does not match its header")
    ids = np.frombuffer(data, "<i8", ns, at)
    counts = np.frombuffer(data, "<i8", ns, at + 8 * ns)
    ts = np.frombuffer(data, "<i8", n, at + 16 * ns)
    vs = np.frombuffer(data, "<f8", n, at + 16 * ns + 8 * n)
    offsets = np.frombuffer(data, "<i8", ns + 1, at + 16 * ns + 16 * n)
    at += 8 * (3 * ns + 1 + 2 * n)
    tenant = data[at:at + tenant_len].decode()
    return ColumnarBatch(tenant, ids, counts, ts, vs, data[at + tenant_len:], offsets)


def decode_message(data: bytes) -> SampleBatch | ColumnarBatch:
    """A telemetry message as it came: columns for format 3, objects for 1 and 2."""
    if data[:4] == COLUMNS_MAGIC:
        return decode_columns(data)
    return _decode_json_batch(data)


# Series met lately by this process' consumers of format 3 (evaluator, pipeline): their
# descriptors are decoded once, not once per message (bounded, least recently used out).
_KNOWN_SERIES: LruCache[bytes, tuple[SeriesKey, MetricKind, str]] = LruCache(200_000)


def decode_batch(data: bytes) -> SampleBatch:
    """Any telemetry message as a ``SampleBatch`` (format 3 is turned into objects)."""
    if data[:4] == COLUMNS_MAGIC:
        return as_objects(decode_columns(data))
    return _decode_json_batch(data)


def as_objects(batch: SampleBatch | ColumnarBatch) -> SampleBatch:
    """A decoded message as objects, descriptors decoded once per process (the cache)."""
    return batch.to_batch(_KNOWN_SERIES) if isinstance(batch, ColumnarBatch) else batch


def _decode_json_batch(data: bytes) -> SampleBatch:
    doc = json.loads(zlib.decompress(data))
    version = doc.get("v")
    if version == BATCH_FORMAT:
        return _decode_columns(doc)
    if version == 1:
        return _decode_v1(doc)
    raise ValueError(f"unknown telemetry message format {version!r}")


def _decode_columns(doc: dict[str, Any]) -> SampleBatch:
    tenant = doc["tenant"]
    timestamps, values = doc["t"], _unpack(doc["values"])
    out = []
    start = 0
    # Trusted: validated (and the id computed) at ingest before it was published.
    for name, flat, sid, kind, unit, n in zip(doc["name"], doc["labels"], doc["id"], doc["kind"], doc["unit"], doc["n"]):
        end = start + n
        key = SeriesKey.with_known_id(tenant, name, LabelSet(tuple(zip(flat[::2], flat[1::2]))), sid)
        out.append(SeriesSamples(key, tuple(map(Sample, timestamps[start:end], values[start:end])), _KIND_BY_VALUE[kind], unit))
        start = end
    return SampleBatch(tenant, tuple(out))


def _decode_v1(doc: dict[str, Any]) -> SampleBatch:
    tenant = doc["tenant"]
    series = tuple(
        SeriesSamples(
            key=SeriesKey(tenant, s["name"], LabelSet(tuple((n, v) for n, v in s["labels"]))),
            samples=tuple(Sample(t, v) for t, v in zip(s["t"], _unpack(s["v"]))),
            kind=MetricKind(s["kind"]),
            unit=s["unit"],
        )
        for s in doc["series"]
    )
    return SampleBatch(tenant, series)


def _pack(values: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(values)}d", *values)).decode()


def _unpack(text: str) -> tuple[float, ...]:
    raw = base64.b64decode(text)
    return struct.unpack(f"<{len(raw) // 8}d", raw)


def encode_json(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def decode_json(data: bytes) -> dict[str, Any]:
    return json.loads(data)


def encode_transition(t: AlertTransition, annotations: tuple[tuple[str, str], ...] = ()) -> bytes:
    return encode_json({
        "v": FORMAT_VERSION, "tenant": t.tenant, "rule_id": t.rule_id, "fingerprint": t.fingerprint,
        "from": t.from_state.value, "to": t.to_state.value, "at_ms": t.at_ms,
        "labels": t.labels.pairs, "value": t.value, "annotations": annotations,
    })


def decode_transition(data: bytes) -> tuple[AlertTransition, tuple[tuple[str, str], ...]]:
    doc = decode_json(data)
    t = AlertTransition(
        fingerprint=doc["fingerprint"], from_state=AlertState(doc["from"]), to_state=AlertState(doc["to"]),
        at_ms=doc["at_ms"], labels=LabelSet(tuple((n, v) for n, v in doc["labels"])), value=float(doc["value"]),
        tenant=doc["tenant"], rule_id=doc["rule_id"],
    )
    return t, tuple((k, v) for k, v in doc["annotations"])
