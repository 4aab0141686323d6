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

Version 1 (a JSON object per series) is still read, so messages published before an
upgrade are written after it.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any

from domain.alerts.state import AlertState, AlertTransition
from domain.metrics.batch import SampleBatch, SeriesSamples
from domain.metrics.kinds import MetricKind
from domain.metrics.labels import LabelSet
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey

FORMAT_VERSION = 1  # transitions and other JSON documents
BATCH_FORMAT = 2  # telemetry batches (columns); 1 is still decoded
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


def decode_batch(data: bytes) -> SampleBatch:
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
