"""Wire format of bus messages (the same bytes on the in-process bus and on Kafka).

A telemetry message is one sample batch of one shard: zlib-compressed JSON with
columns per series (timestamps as an array, values as the base64 of their packed
little-endian float64s), so a batch never turns into one object per sample on the wire
and every value round-trips bit for bit, NaN payloads included (Prometheus' staleness
marker is a NaN with a particular payload).
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

FORMAT_VERSION = 1


def encode_batch(batch: SampleBatch) -> bytes:
    doc = {
        "v": FORMAT_VERSION,
        "tenant": batch.tenant,
        "series": [
            {
                "name": s.key.name,
                "labels": s.key.labels.pairs,
                "kind": s.kind.value,
                "unit": s.unit,
                "t": [smp.timestamp_ms for smp in s.samples],
                "v": _pack([smp.value for smp in s.samples]),
            }
            for s in batch.series
        ],
    }
    return zlib.compress(json.dumps(doc, separators=(",", ":")).encode(), 1)


def decode_batch(data: bytes) -> SampleBatch:
    doc = json.loads(zlib.decompress(data))
    if doc.get("v") != FORMAT_VERSION:
        raise ValueError(f"unknown telemetry message format {doc.get('v')!r}")
    tenant = doc["tenant"]
    series = tuple(
        SeriesSamples(
            # Trusted: validated at ingest before it was published.
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
