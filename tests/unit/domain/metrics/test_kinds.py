"""Histogram bucket layouts and the le label."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import ValidationError
from domain.metrics.kinds import HistogramBuckets, MetricKind, format_le, parse_le


def test_trailing_inf_is_implied_and_dropped() -> None:
    assert HistogramBuckets.of([0.1, 1, math.inf]).bounds == (0.1, 1.0)
    assert HistogramBuckets.of((0.1, 1)).bounds == (0.1, 1.0)
    assert HistogramBuckets.of([math.inf]).bounds == ()
    assert HistogramBuckets.of([-5, 0, 5]).bounds == (-5.0, 0.0, 5.0)


@pytest.mark.parametrize(
    "bounds",
    [
        [math.nan],
        [0.1, math.nan, 1],
        [-math.inf, 0, 1],
        [-math.inf],
        [1, 1],
        [2, 1],
        [1, math.inf, 2],
        [1, math.inf, math.inf],
        ["x"],
    ],
)
def test_invalid_bounds_are_refused(bounds: list[float]) -> None:
    with pytest.raises(ValidationError) as info:
        HistogramBuckets.of(bounds)
    assert info.value.field == "buckets"


def test_le_labels_formatting() -> None:
    buckets = HistogramBuckets.of([0.005, 0.25, 1, 2.5, 10, 1e21])
    assert buckets.le_labels() == ("0.005", "0.25", "1", "2.5", "10", "1e+21", "+Inf")
    assert format_le(-math.inf) == "-Inf"
    assert format_le(-3.0) == "-3"


def test_parse_le() -> None:
    assert parse_le("+Inf") == math.inf
    assert parse_le("0.25") == 0.25
    for bad in ("abc", "NaN", ""):
        with pytest.raises(ValidationError) as info:
            parse_le(bad)
        assert info.value.field == "labels.le"


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), unique=True, max_size=10))
def test_format_parse_round_trip(bounds: list[float]) -> None:
    layout = HistogramBuckets.of(sorted(bounds))
    assert tuple(parse_le(t) for t in layout.le_labels()) == layout.bounds + (math.inf,)


@given(
    st.lists(st.floats(-1e6, 1e6), unique=True, max_size=10).map(sorted),
    st.floats(allow_nan=True, allow_infinity=True),
)
def test_bucket_index_is_first_bound_at_or_above(bounds: list[float], value: float) -> None:
    layout = HistogramBuckets.of(bounds)
    expected = next((i for i, b in enumerate(layout.bounds) if value <= b), len(layout.bounds))
    assert layout.bucket_index(value) == expected


def test_kinds() -> None:
    assert MetricKind("counter") is MetricKind.COUNTER
