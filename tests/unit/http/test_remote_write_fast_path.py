"""Remote write 1.0: the fast decoder (``decode_v1``, wire pass in remote_write_fast.py)
against the general one (``decode_v1_general``), differentially.

For any body both must give the same batch (series with their labels in order, samples
bit for bit, kinds, units, origins; the sample, histogram and exemplar counts) or raise
the same error (type, message, field, and for a rejected batch every inner error).
Well-formed bodies as senders encode them must also really take the fast path.
"""

from __future__ import annotations

import math
import struct

import hypothesis.strategies as st
from hypothesis import given

from adapters.http.ingest_formats.remote_write import decode_v1, decode_v1_general
from adapters.http.ingest_formats.remote_write_fast import scan_v1
from adapters.http.ingest_formats.series import STALE_NAN
from tests.unit.http import protoenc as pe
from tests.unit.http.conftest import NOW_MS

# -- comparing outcomes ------------------------------------------------------------------


def _bits(v: object) -> object:
    """Floats by their bits, so NaN payloads (the staleness marker) and -0.0 count."""
    return ("f", struct.pack("<d", v)) if isinstance(v, float) else v


def _error(exc: BaseException) -> tuple:
    inner = tuple(_error(e) for e in getattr(exc, "errors", ()))
    return (type(exc), str(exc), getattr(exc, "message", None), getattr(exc, "field", None),
            getattr(exc, "limit", None), getattr(exc, "value", None), inner)


def outcome(decode, body: bytes) -> tuple:
    try:
        batch = decode(body)
    except Exception as exc:  # any exception is an outcome to compare
        return ("raised", _error(exc))
    series = [(s.name, list(s.labels.items()), [[_bits(x) for x in sample] for sample in s.samples], s.kind, s.unit, s.origin)
              for s in batch.series]
    return ("ok", series, batch.samples, batch.histograms, batch.exemplars)


def assert_same(body: bytes) -> tuple:
    general = outcome(decode_v1_general, body)
    assert outcome(decode_v1, body) == general
    return general


# -- building requests -------------------------------------------------------------------

NAMES = ["__name__", "job", "instance", "le", "cpu", "mode", "é_label", "a" * 130]
METRICS = ["up", "http_requests_total", "rpc_seconds", "rpc_seconds_bucket", "rpc_seconds_sum", "rpc_seconds_count",
           "temperature", "métrique_ünïcode"]
text = st.one_of(st.sampled_from(["", "node", "10.0.0.1:9100", "0.5", "+Inf", "ünïcode ✓", "x" * 200]), st.text(max_size=140))
values = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from([STALE_NAN, math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0]))
timestamps = st.one_of(st.sampled_from([NOW_MS, NOW_MS - 15_000, 0, -5]), st.integers(-(2**63), 2**63 - 1))


@st.composite
def labels(draw) -> list[tuple[str, str]]:
    pairs = [("__name__", draw(st.sampled_from(METRICS) if draw(st.integers(0, 19)) else st.just("")))]
    pairs += draw(st.lists(st.tuples(st.sampled_from(NAMES[1:]) | st.text(max_size=12), text), max_size=7,
                           unique_by=lambda p: p[0]))
    if draw(st.integers(0, 19)) == 0:
        pairs = pairs[1:]  # no metric name
    if pairs and draw(st.integers(0, 19)) == 0:
        pairs.append(draw(st.sampled_from(pairs)))  # a label given twice
    return draw(st.permutations(pairs)) if draw(st.booleans()) else pairs


@st.composite
def histograms(draw) -> list:
    spans = draw(st.lists(st.tuples(st.integers(-3, 3), st.integers(0, 3)), max_size=3))
    n = sum(length for _, length in spans) + draw(st.sampled_from([0, 0, 0, 1]))  # sometimes a mismatch
    return pe.native_histogram(draw(timestamps), count=draw(st.integers(0, 50)), total=draw(values),
                               schema=draw(st.sampled_from([0, 3, -4, 8, 9, -53])), zero_count=draw(st.integers(0, 3)),
                               positive=spans, deltas=draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n)),
                               reset_hint=draw(st.sampled_from([0, 0, 3])), custom_values=draw(st.sampled_from([(), (0.1, 0.5)])))


def label_msg(name: str, value: str, gogo: bool) -> list:
    """gogo-protobuf (Prometheus) leaves empty strings out; other encoders write them."""
    return [(k, s) for k, s in ((1, name), (2, value)) if s or not gogo]


def sample_msg(ts: int, value: float, gogo: bool) -> list:
    msg = [] if gogo and value == 0 else [(1, pe.Double(value))]  # NaN != 0: written
    return msg + ([] if gogo and ts == 0 else [(2, ts)])


@st.composite
def series_msg(draw, gogo: bool) -> list:
    msg: list = [(1, label_msg(n, v, gogo)) for n, v in draw(labels())]
    msg += [(2, sample_msg(ts, v, gogo)) for ts, v in draw(st.lists(st.tuples(timestamps, values), max_size=4))]
    msg += [(3, [(1, [(1, "trace_id"), (2, "abc")]), (2, pe.Double(1.0))])] * draw(st.integers(0, 2))
    if draw(st.integers(0, 4)) == 0:
        msg += [(4, h) for h in draw(st.lists(histograms(), min_size=1, max_size=2))]
    return msg


@st.composite
def write_requests(draw) -> bytes:
    """A well-formed WriteRequest as a sender writes it (inside each message, fields in
    number order; series and metadata entries in any order)."""
    gogo = draw(st.booleans())
    series = draw(st.lists(series_msg(gogo), max_size=6))
    if series and draw(st.integers(0, 5)) == 0:
        series.append(draw(st.sampled_from(series)))  # the same series twice: merged
    metadata = [(3, [(1, t), (2, fam), (4, "help text"), (5, unit)])
                for t, fam, unit in draw(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(METRICS + ["rpc_seconds"]),
                                                            st.sampled_from(["", "seconds"])), max_size=3))]
    top = [(1, s) for s in series]
    return pe.encode(draw(st.permutations(top + metadata)) if metadata else top)


ODD_LABELS = [
    lambda v: [(2, v), (1, "job")],  # value before name
    lambda v: [(1, "job"), (2, v), (3, "unknown")],  # an unknown field
    lambda v: [(1, "jo"), (1, "job"), (2, v)],  # a field repeated: the last one wins
    lambda v: [(1, "job"), (2, v), (2, v + "!")],  # value repeated
    lambda v: [(1, "job"), (2, 7)],  # a value of the wrong wire type
]
ODD_SAMPLES = [
    [(2, NOW_MS), (1, pe.Double(2.0))],  # timestamp before value
    [(1, pe.Double(2.0)), (2, NOW_MS), (9, 1)],  # an unknown field
    [(1, pe.Double(2.0)), (1, pe.Double(3.0)), (2, NOW_MS)],  # value repeated
]
ODD_SERIES_FIELDS = [(5, "unknown"), (6, 1), (2, pe.Double(1.0)), (1, 7)]  # unknown fields, wrong wire types
ODD_TOP_FIELDS = [(2, "unknown"), (99, 7), (1, 5), (3, pe.Double(1.0))]  # unknown fields, wrong wire types


@st.composite
def odd_requests(draw) -> bytes:
    """Unusual encodings, valid or not (one oddity each), that the fast path hands to
    the general decoder."""
    series: list = [(1, [(1, "__name__"), (2, "up")]), (1, [(1, "job"), (2, "x")]), (2, [(1, pe.Double(2.0)), (2, NOW_MS)])]
    top: list = []
    where = draw(st.sampled_from(["label", "sample", "series", "top"]))
    if where == "label":
        series[1] = (1, draw(st.sampled_from(ODD_LABELS))(draw(text)))
    elif where == "sample":
        series[2] = (2, draw(st.sampled_from(ODD_SAMPLES)))
    elif where == "series":
        series.insert(draw(st.integers(0, 3)), draw(st.sampled_from(ODD_SERIES_FIELDS)))
    else:
        top.append(draw(st.sampled_from(ODD_TOP_FIELDS)))
    return pe.encode(draw(st.permutations([(1, series)] + top)))


def mutated(golden: bytes) -> st.SearchStrategy[bytes]:
    if not golden:
        return st.binary(max_size=64)
    flip = st.tuples(st.integers(0, len(golden) - 1), st.integers(0, 255)).map(
        lambda p: golden[: p[0]] + bytes([p[1]]) + golden[p[0] + 1:])
    cut = st.integers(0, len(golden)).map(lambda n: golden[:n])
    # A length a little off (still inside the buffer) must not go unnoticed.
    bump = st.tuples(st.integers(0, len(golden) - 1), st.sampled_from([-2, -1, 1, 2, 3])).map(
        lambda p: golden[: p[0]] + bytes([(golden[p[0]] + p[1]) % 256]) + golden[p[0] + 1:])
    splice = st.tuples(st.integers(0, len(golden)), st.binary(max_size=16)).map(lambda p: golden[: p[0]] + p[1] + golden[p[0]:])
    return st.one_of(flip, bump, cut, splice)


# -- properties --------------------------------------------------------------------------


@given(body=write_requests())
def test_well_formed_requests_take_the_fast_path_and_decode_the_same(body: bytes) -> None:
    assert scan_v1(body) is not None
    assert_same(body)


@given(body=odd_requests())
def test_unusual_encodings_fall_back_and_decode_the_same(body: bytes) -> None:
    assert scan_v1(body) is None
    assert_same(body)


@given(data=st.data(), golden=write_requests())
def test_mutated_and_truncated_bodies_give_the_same_result_or_error(data: st.DataObject, golden: bytes) -> None:
    body = data.draw(mutated(golden))
    assert_same(body)


@given(body=st.binary(max_size=256))
def test_arbitrary_bytes_give_the_same_result_or_error(body: bytes) -> None:
    assert_same(body)


# -- examples ----------------------------------------------------------------------------


def test_each_error_is_the_general_decoders() -> None:
    ok = [(1, [(1, "__name__"), (2, "m")]), (2, [(1, pe.Double(1.0)), (2, NOW_MS)])]
    cases = [
        pe.encode([(1, ok + [(1, [(1, b"\xff\xfe"), (2, "v")])])]),  # invalid UTF-8 in a label name
        pe.encode([(1, ok + [(1, [(1, "job"), (2, "a")]), (1, [(1, "job"), (2, "b")])])]),  # label twice
        pe.encode([(1, [(2, [(1, pe.Double(1.0)), (2, NOW_MS)])])]),  # no __name__
        pe.encode([(1, ok)])[:-1],  # truncated
        # an exemplar (whose content is not read) declaring more bytes than its series has
        pe.encode([(1, ok + [(3, "e")]), (1, ok)]).replace(b"\x1a\x01e", b"\x1a\x03e"),
        pe.encode([(1, ok), (3, [(1, "counter-not-a-number")])]),  # metadata type of the wrong wire type
        # a histogram whose spans cover 2 buckets but which sends 1 count
        pe.encode([(1, ok + [(4, [(4, pe.SInt(0)), (11, [(1, pe.SInt(0)), (2, 2)]), (12, pe.Packed((1,), zigzag=True))])])]),
        pe.encode([(1, ok + [(4, [(1, pe.Double(1.0))])])]),  # histogram count of the wrong wire type
    ]
    for body in cases:
        result = assert_same(body)
        assert result[0] == "raised", body


def test_labels_alike_but_for_their_field_numbers_stay_apart() -> None:
    # gogo leaves empty strings out: Label{name: "x"} and Label{value: "x"} differ in one byte.
    body = pe.encode([(1, [(1, [(1, "__name__"), (2, "m")]), (1, [(1, "x")]), (1, [(2, "x")]),
                           (2, [(1, pe.Double(1.0)), (2, NOW_MS)])])])
    assert scan_v1(body) is not None
    assert assert_same(body)[1][0][1] == [("x", ""), ("", "x")]


def test_a_prometheus_like_request_takes_the_fast_path() -> None:
    series = [pe.rw1_series({"__name__": "node_cpu_seconds_total", "cpu": str(c), "instance": "10.0.0.1:9100", "job": "node",
                             "mode": m}, [(NOW_MS, float(c))]) for c in range(4) for m in ("idle", "user")]
    body = pe.rw1_request(series, metadata=[(1, "node_cpu_seconds_total", "seconds")])
    assert scan_v1(body) is not None
    result = assert_same(body)
    assert result[0] == "ok" and len(result[1]) == 8 and result[1][0][3] == "counter"


def test_other_buffer_types_are_decoded_as_before() -> None:
    body = pe.rw1_request([pe.rw1_series({"__name__": "m"}, [(NOW_MS, 1.0)])])
    assert scan_v1(bytearray(body)) is None
    assert outcome(decode_v1, bytearray(body)) == outcome(decode_v1_general, bytearray(body))
