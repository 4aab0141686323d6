"""Bus messages round-trip exactly: every float bit (NaN, ±Inf, -0.0), every label."""

from __future__ import annotations

import base64
import json
import struct
import zlib

import hypothesis.strategies as st
from hypothesis import given

from domain.alerts.state import AlertState, AlertTransition
from domain.metrics.batch import SampleBatch, SeriesSamples
from domain.metrics.kinds import MetricKind
from domain.metrics.labels import LabelSet
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from services.codec import decode_batch, decode_transition, encode_batch, encode_transition

label_names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
label_values = st.text(min_size=1, max_size=12)
label_sets = st.dictionaries(label_names, label_values, max_size=5).map(LabelSet.of)


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


@st.composite
def batches(draw) -> SampleBatch:
    series = []
    for _ in range(draw(st.integers(0, 4))):
        key = SeriesKey("t1", draw(st.from_regex(r"[a-z_:][a-z0-9_:]{0,10}", fullmatch=True)), draw(label_sets))
        ts = draw(st.lists(st.integers(0, 2**53), max_size=6, unique=True))
        values = draw(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=len(ts), max_size=len(ts)))
        series.append(SeriesSamples(key, tuple(Sample(t, v) for t, v in zip(sorted(ts), values)),
                                    draw(st.sampled_from(list(MetricKind))), draw(st.text(max_size=5))))
    return SampleBatch("t1", tuple(series))


@given(batches())
def test_batches_round_trip_bit_exactly(batch: SampleBatch) -> None:
    back = decode_batch(encode_batch(batch))
    assert back.tenant == batch.tenant
    assert [(s.key, s.kind, s.unit) for s in back.series] == [(s.key, s.kind, s.unit) for s in batch.series]
    for a, b in zip(back.series, batch.series):
        assert [(x.timestamp_ms, bits(x.value)) for x in a.samples] == [(x.timestamp_ms, bits(x.value)) for x in b.samples]


@given(batches())
def test_series_ids_travel_with_the_batch(batch: SampleBatch) -> None:
    back = decode_batch(encode_batch(batch))
    assert [s.key._id for s in back.series] == [s.key.id for s in batch.series]  # not recomputed


def test_version_1_messages_published_before_an_upgrade_still_decode() -> None:
    # The layout version 1 had: one JSON object per series.
    values = base64.b64encode(struct.pack("<2d", 1.5, float("inf"))).decode()
    v1 = {"v": 1, "tenant": "t1", "series": [
        {"name": "up", "labels": [["job", "node"]], "kind": "counter", "unit": "s", "t": [10, 20], "v": values}]}
    batch = decode_batch(zlib.compress(json.dumps(v1).encode()))
    (series,) = batch.series
    assert series.key == SeriesKey("t1", "up", LabelSet.of({"job": "node"}))
    assert series.key.id == SeriesKey("t1", "up", LabelSet.of({"job": "node"})).id
    assert (series.kind, series.unit) == (MetricKind.COUNTER, "s")
    assert series.samples == (Sample(10, 1.5), Sample(20, float("inf")))


def test_an_unknown_format_is_refused_by_name() -> None:
    try:
        decode_batch(zlib.compress(json.dumps({"v": 99, "tenant": "t1"}).encode()))
    except ValueError as exc:
        assert "unknown telemetry message format 99" in str(exc)
    else:
        raise AssertionError("accepted")


def test_nan_payloads_survive() -> None:
    stale = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000002))[0]  # Prometheus' staleness marker
    batch = SampleBatch("t1", (SeriesSamples(SeriesKey("t1", "up", LabelSet.of({})), (Sample(1, stale),)),))
    assert bits(decode_batch(encode_batch(batch)).series[0].samples[0].value) == bits(stale)


@given(label_sets, st.floats(), st.sampled_from(list(AlertState)), st.sampled_from(list(AlertState)),
       st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=20), max_size=3))
def test_transitions_round_trip(labels, value, from_state, to_state, annotations) -> None:
    t = AlertTransition("abcd" * 4, from_state, to_state, 123, labels, value, "t1", "r1")
    back, ann = decode_transition(encode_transition(t, tuple(sorted(annotations.items()))))
    assert back.labels == t.labels and back.fingerprint == t.fingerprint and back.at_ms == 123
    assert (back.from_state, back.to_state, back.tenant, back.rule_id) == (from_state, to_state, "t1", "r1")
    assert bits(back.value) == bits(value) or (back.value != back.value and value != value)
    assert dict(ann) == annotations
