"""Bus messages round-trip exactly: every float bit (NaN, ±Inf, -0.0), every label."""

from __future__ import annotations

import base64
import json
import struct
import zlib

import hypothesis.strategies as st
import pytest
from hypothesis import given

from domain.alerts.state import AlertState, AlertTransition
from domain.metrics.batch import SampleBatch, SeriesSamples
from domain.metrics.kinds import MetricKind
from domain.metrics.labels import LabelSet
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from ports.columnar import ColumnarBatch
from services.codec import decode_batch, decode_columns, decode_message, decode_transition, encode_batch, encode_columns, encode_transition

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


# -- format 3: binary columns (docs/adr/0013-ingest-hot-path.md) -------------------------


def as_rows(batch: SampleBatch) -> list:
    return [(s.key.tenant, s.key.name, s.key.labels.pairs, s.key.id, s.kind, s.unit, [(t, bits(v)) for t, v in s.samples])
            for s in batch.series]


@given(batches(), st.integers(1, 5))
def test_format_3_round_trips_bit_exactly_and_splits_by_shard_as_objects_do(batch: SampleBatch, shards: int) -> None:
    data = encode_columns(ColumnarBatch.from_batch(batch))
    assert as_rows(decode_batch(data)) == as_rows(batch)
    assert as_rows(decode_batch(data)) == as_rows(batch)  # again, the series now known to the decoder's cache
    columns = decode_message(data)
    assert isinstance(columns, ColumnarBatch)
    split = {shard: as_rows(part.to_batch()) for shard, part in columns.split_by_shard(shards).items()}
    assert split == {shard: as_rows(part) for shard, part in batch.split_by_shard(shards).items()}
    for part in columns.split_by_shard(shards).values():
        assert as_rows(decode_batch(encode_columns(part))) == as_rows(part.to_batch())


def test_format_3_keeps_the_staleness_marker_and_refuses_a_truncated_message() -> None:
    stale = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000002))[0]
    batch = SampleBatch("t1", (SeriesSamples(SeriesKey.of("t1", "up", {"job": "a"}), (Sample(5, stale),)),))
    data = encode_columns(ColumnarBatch.from_batch(batch))
    assert bits(decode_batch(data).series[0].samples[0].value) == bits(stale)
    with pytest.raises(ValueError, match="does not match its header"):
        decode_columns(data[:-1])


def test_older_formats_are_still_read_after_the_upgrade() -> None:
    batch = SampleBatch("t1", (SeriesSamples(SeriesKey.of("t1", "up", {"job": "a"}), (Sample(5, 1.0),)),))
    old = decode_message(encode_batch(batch))  # format 2, as published before the upgrade
    assert isinstance(old, SampleBatch) and as_rows(old) == as_rows(batch)
