"""The chunk codec round-trips bit for bit: any int64 timestamps, any float64 bit
pattern (NaN payloads, ±Inf, -0.0, subnormals), every layout the writer and compaction
produce."""

from __future__ import annotations

import math
import struct

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from adapters.postgres.codec import decode_chunk, decode_columns, encode_chunk, encode_columns
from adapters.postgres.head import Head, build_rows, decode_raw
from adapters.postgres.reading import decode_any
from domain.metrics.samples import Sample

I64 = st.integers(-(2**63), 2**63 - 1)
BITS = st.integers(0, 2**64 - 1).map(lambda b: struct.unpack("<d", struct.pack("<Q", b))[0])
SPECIAL = st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 0.0, 5e-324, 1.7976931348623157e308, 0.1])
FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), BITS, SPECIAL)
DECIMALS = st.integers(-10**9, 10**9).map(lambda i: i / 100)  # the decimal mode's home ground


def bits(a: np.ndarray) -> list[int]:
    return np.asarray(a, dtype=np.float64).view(np.uint64).tolist()


@st.composite
def columns(draw, values=FLOATS):
    n = draw(st.integers(1, 120))
    regular = draw(st.booleans())
    if regular:
        t0, step = draw(st.integers(-(2**40), 2**40)), draw(st.integers(1, 100_000))
        ts = [t0 + i * step + draw(st.integers(-3, 3)) for i in range(n)]
    else:
        ts = draw(st.lists(I64, min_size=n, max_size=n))
    vs = draw(st.lists(st.one_of(values, DECIMALS), min_size=n, max_size=n))
    return np.array(ts, dtype=np.int64), np.array(vs, dtype=np.float64)


@given(columns(), st.sampled_from([1, 9]))
def test_chunks_round_trip_bit_exactly(cols, level):
    ts, vs = cols
    got_ts, got_vs = decode_chunk(encode_chunk(ts, vs, level=level))
    assert got_ts.tolist() == ts.tolist()
    assert bits(got_vs) == bits(vs)


@given(columns(values=DECIMALS))
def test_decimal_values_round_trip_bit_exactly(cols):
    ts, vs = cols
    got_ts, got_vs = decode_chunk(encode_chunk(ts, vs))
    assert got_ts.tolist() == ts.tolist() and bits(got_vs) == bits(vs)


@given(columns(), st.lists(st.integers(0, 2**40), min_size=1, max_size=1))
def test_several_columns_round_trip(cols, _):
    ts, vs = cols
    counts = np.arange(ts.size, dtype=np.int64) * 7 - 3
    got_ts, floats, ints = decode_columns(encode_columns(ts, [vs, vs[::-1].copy()], [counts]))
    assert got_ts.tolist() == ts.tolist()
    assert bits(floats[0]) == bits(vs) and bits(floats[1]) == bits(vs[::-1])
    assert ints[0].tolist() == counts.tolist()


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(-(2**50), 2**50), FLOATS), min_size=1, max_size=200))
def test_head_chunks_round_trip_sorted_and_last_write_wins(points):
    head = Head()
    expected: dict[int, dict[int, float]] = {}
    for sid, t, v in points:  # one run per sample: arrival order across runs decides ties
        head.counts[sid] = head.counts.get(sid, 0) + 1
        head.add(np.array([sid], np.int64), np.array([t], np.int64), np.array([v], np.float64))
        expected.setdefault(sid, {})[t] = v
    rows = build_rows(head)
    got: dict[int, list[tuple[int, int]]] = {}
    for sid, start, end, n, data in rows.chunks:
        ts, vs = decode_raw(data)
        assert (ts[0], ts[-1], ts.size) == (start, end, n)
        assert (ts // (2 * 3600 * 1000) == start // (2 * 3600 * 1000)).all(), "a chunk crosses a window"
        got.setdefault(sid, []).extend(zip(ts.tolist(), bits(vs)))
    for sid, pts in expected.items():
        want = [(t, bits(np.array([v]))[0]) for t, v in sorted(pts.items())]
        assert got[sid] == want
        ts, vs = head.arrays(sid)
        assert list(zip(ts.tolist(), bits(vs))) == want


def test_special_values_and_nan_payloads_survive_both_layouts():
    payload_nan = struct.unpack("<d", struct.pack("<Q", 0x7FF0_0000_0000_0001))[0]
    vs = np.array([math.nan, payload_nan, math.inf, -math.inf, -0.0, 5e-324] * 10)
    ts = np.arange(vs.size, dtype=np.int64) * 1000
    for blob in (encode_chunk(ts, vs), build_rows(_head(ts, vs)).chunks[0][4]):
        got_ts, got_vs = decode_any(blob)
        assert got_ts.tolist() == ts.tolist() and bits(got_vs) == bits(vs)


def test_regular_decimal_series_compress_to_a_couple_of_bytes_per_sample():
    rng = np.random.default_rng(1)
    ts = 1_700_000_000_000 + np.arange(480) * 15_000 + rng.integers(-3, 4, 480)
    vs = np.round(50 + np.cumsum(rng.normal(0, 1, 480)), 2)
    assert len(encode_chunk(ts, vs, level=9)) / 480 < 2.5
    assert len(encode_chunk(ts, np.cumsum(rng.poisson(100, 480)).astype(float), level=9)) / 480 < 2.0


def _head(ts: np.ndarray, vs: np.ndarray) -> Head:
    head = Head()
    head.counts[1] = int(ts.size)
    head.add(np.ones(ts.size, np.int64), ts.astype(np.int64), vs.astype(np.float64))
    return head
