"""Remote write 1.0 straight to columns (remote_write_columns.py) against the general path.

The general path is ``decode_v1_general`` then ``IngestService.validate``. For any
body, the columnar path either declines (``None``: the route then takes the general
path, which answers) or gives exactly the general path's accepted batch: the same
series in the same order (ids, names, labels, kinds, units) with the same samples bit
for bit. It never accepts what the general path rejects. The C scanner and the Python
one return the same thing for every body; and bodies as Prometheus sends them really
take the columnar path, with a warm cache as with a cold one.
"""

from __future__ import annotations

import struct

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given

from adapters.http.ingest_formats import remote_write_columns as rwc
from adapters.http.ingest_formats.remote_write import decode_v1_general
from domain.metrics.labels import LabelLimits
from services.ingest import IngestLimits, IngestService
from tests.unit.http import protoenc as pe
from tests.unit.http.conftest import NOW_MS
from tests.unit.http.test_remote_write_fast_path import mutated, odd_requests, write_requests

TENANT = "t1"


class FixedClock:
    def now_ms(self) -> int:
        return NOW_MS


def service(**limits) -> IngestService:
    limits.setdefault("labels", LabelLimits(max_labels=6, max_value_length=100))
    return IngestService(None, FixedClock(), None, IngestLimits(**limits))  # type: ignore[arg-type]


def _bits(vs) -> list[bytes]:
    return [struct.pack("<d", v) for v in vs]


def general(body: bytes, svc: IngestService) -> tuple | None:
    """The general path's accepted batch as comparable rows; None if it rejects."""
    try:
        batch = svc.validate(TENANT, decode_v1_general(body).series)
    except Exception:  # any rejection: the columnar path must not accept
        return None
    return [(s.key.id, s.key.name, s.key.labels.pairs, s.kind, s.unit, [t for t, _ in s.samples], _bits(v for _, v in s.samples))
            for s in batch.series]


def columnar(body: bytes, svc: IngestService, resolver: rwc.SeriesResolver) -> tuple | None:
    got = rwc.decode(body, TENANT, svc, resolver)
    if got is None:
        return None
    batch = got.to_batch()
    return [(s.key.id, s.key.name, s.key.labels.pairs, s.kind, s.unit, [t for t, _ in s.samples], _bits(v for _, v in s.samples))
            for s in batch.series]


def check(body: bytes, svc: IngestService | None = None, resolver: rwc.SeriesResolver | None = None) -> tuple[tuple | None, tuple | None]:
    svc = svc or service()
    resolver = resolver or rwc.SeriesResolver(svc, 1000)
    if rwc.scan_native is not None:
        assert rwc.scan_native(body) == rwc.scan_python(body)
    want = general(body, svc)
    for _ in range(2):  # cold cache, then warm: the same answer
        got = columnar(body, svc, resolver)
        if got is not None:
            assert want is not None, "the columnar path accepted what the general path rejects"
            assert got == want
    return want, got


@given(body=write_requests())
def test_well_formed_requests_decode_as_the_general_path_does(body: bytes) -> None:
    check(body)


@given(body=odd_requests())
def test_unusual_encodings_decline_or_agree(body: bytes) -> None:
    check(body)


@given(data=st.data(), golden=write_requests())
def test_mutated_and_truncated_bodies_decline_or_agree(data: st.DataObject, golden: bytes) -> None:
    check(data.draw(mutated(golden)))


@given(body=st.binary(max_size=256))
def test_arbitrary_bytes_decline_or_agree(body: bytes) -> None:
    check(body)


# -- what Prometheus sends takes the columnar path ------------------------------------------

label_value = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=20)
label_name = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)


@st.composite
def prometheus_requests(draw) -> bytes:
    """Valid series as Prometheus encodes them: labels sorted, names valid, in-window
    samples in order, no metadata in the same request."""
    series = []
    names = draw(st.lists(st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True), min_size=1, max_size=5, unique=True))
    for name in names:
        labels = {"__name__": name, **draw(st.dictionaries(label_name, label_value, max_size=4))}
        n = draw(st.integers(1, 3))
        start = draw(st.integers(NOW_MS - 3_600_000, NOW_MS))
        ts = sorted(draw(st.lists(st.integers(start, start + 60_000), min_size=n, max_size=n)))
        vs = draw(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=n, max_size=n))
        series.append(pe.rw1_series(dict(sorted(labels.items())), list(zip(ts, vs))))
    return pe.rw1_request(series)


@given(body=prometheus_requests())
def test_what_prometheus_sends_takes_the_columnar_path(body: bytes) -> None:
    want, got = check(body)
    assert want is not None and got is not None


def test_limits_and_window_make_it_decline_and_the_general_path_answer() -> None:
    body = pe.rw1_request([pe.rw1_series({"__name__": "up", "job": "a"}, [(NOW_MS, 1.0), (NOW_MS + 1, 2.0)]),
                           pe.rw1_series({"__name__": "up", "job": "b"}, [(NOW_MS, 1.0)])])
    assert check(body)[1] is not None
    for limits in ({"max_samples_per_batch": 2}, {"max_series_per_batch": 1}):
        svc = service(**limits)
        assert rwc.decode(body, TENANT, svc, rwc.SeriesResolver(svc, 10)) is None
    late = pe.rw1_request([pe.rw1_series({"__name__": "up"}, [(NOW_MS - 2 * 86_400_000, 1.0)])])
    assert check(late) == (None, None)
    backwards = pe.rw1_request([pe.rw1_series({"__name__": "up"}, [(NOW_MS, 1.0), (NOW_MS - 1, 2.0)])])
    want, got = check(backwards)
    assert want is not None and got is None  # the general path sorts; the columnar one declines
    twice = pe.rw1_request([pe.rw1_series({"__name__": "up"}, [(NOW_MS, 1.0)])] * 2)
    want, got = check(twice)
    assert want is not None and got is None  # merged by the general path


def test_the_series_cache_is_bounded_and_keyed_by_tenant() -> None:
    svc = service()
    resolver = rwc.SeriesResolver(svc, 3)
    bodies = [pe.rw1_request([pe.rw1_series({"__name__": "up", "job": str(i)}, [(NOW_MS, 1.0)])]) for i in range(5)]
    for body in bodies:
        assert rwc.decode(body, TENANT, svc, resolver) is not None
    assert len(resolver.cache(TENANT)) == 3
    other = rwc.decode(bodies[0], "t2", svc, resolver)
    mine = rwc.decode(bodies[0], TENANT, svc, resolver)
    assert other is not None and mine is not None
    assert other.series_ids[0] != mine.series_ids[0]  # the tenant is part of the id


@pytest.mark.skipif(rwc.scan_native is None, reason="the C extension was not built (no compiler at install)")
def test_the_c_scanner_reads_large_requests_like_the_python_one() -> None:
    series = [pe.rw1_series({"__name__": f"m{i % 50}", "instance": f"host{i}", "job": "node"},
                            [(NOW_MS - k, float(i * k)) for k in range(3, 0, -1)]) for i in range(3000)]
    body = pe.rw1_request(series)
    native, python = rwc.scan_native(body), rwc.scan_python(body)
    assert native == python
    assert np.frombuffer(native[1], "<i8").tolist() == [3] * 3000
