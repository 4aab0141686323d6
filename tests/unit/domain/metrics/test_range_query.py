"""RangeQuery validation, evaluate_range against a naive reference, group_series."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import LimitExceeded, ValidationError
from domain.metrics.aggregations import Aggregation, aggregate
from domain.metrics.labels import LabelSet
from domain.metrics.query import RangeQuery, Selector, evaluate_range, group_series
from domain.metrics.samples import Sample

from .strategies import any_floats, nan_equal

UP = Selector("up")
NAN = math.nan


def q(**kw: object) -> RangeQuery:
    base: dict[str, object] = {"selector": UP, "start_ms": 0, "end_ms": 60_000, "step_ms": 15_000}
    base.update(kw)
    return RangeQuery(**base)  # type: ignore[arg-type]


# --- validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"start_ms": 10, "end_ms": 5}, "end"),
        ({"step_ms": 0}, "step"),
        ({"step_ms": -5}, "step"),
        ({"start_ms": 1.5}, "start"),
        ({"end_ms": "10"}, "end"),
        ({"step_ms": True}, "step"),
        ({"window_ms": 0}, "window"),
        ({"function": Aggregation.QUANTILE}, "q"),
        ({"function": "median"}, "function"),
        ({"q": "0.5", "function": Aggregation.QUANTILE}, "q"),
        ({"group_by": (), "group_aggregation": Aggregation.RATE}, "group_aggregation"),
        ({"group_aggregation": Aggregation.INCREASE}, "group_aggregation"),
        ({"group_by": (), "group_aggregation": Aggregation.QUANTILE}, "q"),
        ({"group_by": "host"}, "group_by"),
        ({"group_by": ("bad-name",)}, "group_by"),
        ({"selector": "up"}, "selector"),
    ],
)
def test_invalid_queries_name_the_field(kw: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        q(**kw)
    assert info.value.field == field


def test_points_limit() -> None:
    ok = q(start_ms=0, end_ms=(RangeQuery.MAX_POINTS - 1) * 1000, step_ms=1000)
    assert len(ok.steps()) == RangeQuery.MAX_POINTS
    with pytest.raises(LimitExceeded) as info:
        q(start_ms=0, end_ms=RangeQuery.MAX_POINTS * 1000, step_ms=1000)
    assert info.value.limit == "max_points" and info.value.value == 11_000
    assert "11000" in info.value.message


def test_normalization_and_defaults() -> None:
    query = q(function="rate", group_aggregation="avg", group_by=["host", "host", "dc"], q=1)
    assert query.function is Aggregation.RATE and query.group_aggregation is Aggregation.AVG
    assert query.group_by == ("host", "dc") and query.q == 1.0 and isinstance(query.q, float)
    assert q().steps() == range(0, 60_001, 15_000)
    assert list(q(end_ms=59_999).steps()) == [0, 15_000, 30_000, 45_000]
    assert q().effective_window_ms == 300_000  # LAST looks back 5 minutes
    assert q(step_ms=600_000, end_ms=600_000).effective_window_ms == 600_000
    assert q(function=Aggregation.AVG).effective_window_ms == 15_000
    assert q(window_ms=1234).effective_window_ms == 1234


# --- evaluate_range ---------------------------------------------------------------------


def naive_evaluate(query: RangeQuery, samples: list[Sample]) -> list[Sample]:
    """The obvious O(samples * steps) definition."""
    samples = sorted(samples, key=lambda s: s.timestamp_ms)
    window = query.effective_window_ms
    counter = query.function in (Aggregation.RATE, Aggregation.INCREASE)
    out = []
    for t in range(query.start_ms, query.end_ms + 1, query.step_ms):
        inside = [s for s in samples if t - window < s.timestamp_ms <= t]
        if len(inside) < (2 if counter else 1):
            continue
        if query.function is Aggregation.RATE and inside[0].timestamp_ms == inside[-1].timestamp_ms:
            continue
        out.append(Sample(t, aggregate(query.function, inside, q=query.q)))
    return out


sample_lists = st.lists(
    st.builds(Sample, st.integers(0, 2_000), st.one_of(st.floats(0, 1e6), any_floats)), max_size=40
).map(lambda xs: sorted(xs, key=lambda s: s.timestamp_ms))


@st.composite
def range_queries(draw: st.DrawFn) -> RangeQuery:
    start = draw(st.integers(-200, 2_200))
    return RangeQuery(
        UP,
        start,
        start + draw(st.integers(0, 2_500)),
        draw(st.integers(1, 400)),
        function=draw(st.sampled_from(list(Aggregation))),
        window_ms=draw(st.one_of(st.none(), st.integers(1, 800))),
        q=draw(st.floats(0, 1)),
    )


def same_points(a: list[Sample], b: list[Sample]) -> bool:
    return len(a) == len(b) and all(x.timestamp_ms == y.timestamp_ms and nan_equal(x.value, y.value) for x, y in zip(a, b))


@given(range_queries(), sample_lists)
def test_evaluate_range_matches_naive_reference(query: RangeQuery, samples: list[Sample]) -> None:
    assert same_points(evaluate_range(query, samples), naive_evaluate(query, samples))


@given(range_queries(), sample_lists, st.randoms(use_true_random=False))
def test_unsorted_input_is_sorted_first(query: RangeQuery, samples: list[Sample], rnd: object) -> None:
    shuffled = list(samples)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    # Stable: samples sharing a timestamp keep their given order (LAST takes the last given).
    assert same_points(evaluate_range(query, shuffled), naive_evaluate(query, shuffled))


def test_evaluate_range_examples() -> None:
    counter = [Sample(t * 1000, v) for t, v in [(0, 0), (10, 10), (20, 20), (30, 5), (40, 15)]]
    rates = evaluate_range(q(end_ms=40_000, step_ms=20_000, function=Aggregation.RATE), counter)
    # Windows (-20s,0], (0,20s], (20s,40s]: the first has one sample, so no point.
    assert rates == [Sample(20_000, 1.0), Sample(40_000, 1.0)]
    increases = evaluate_range(q(end_ms=40_000, step_ms=20_000, window_ms=40_000, function="increase"), counter)
    # (0, 40s]: +10, then a reset to 5 (+5), then +10.
    assert increases == [Sample(20_000, 20.0), Sample(40_000, 25.0)]
    # LAST reaches back 5 minutes; a window with samples whose value is NaN keeps the NaN.
    gauge = [Sample(0, 1.0), Sample(1000, NAN)]
    last = evaluate_range(q(start_ms=0, end_ms=400_000, step_ms=100_000), gauge)
    assert [p.timestamp_ms for p in last] == [0, 100_000, 200_000, 300_000]
    assert last[0].value == 1.0 and all(math.isnan(p.value) for p in last[1:])
    assert evaluate_range(q(), []) == []
    counts = evaluate_range(q(function="count", end_ms=30_000), [Sample(1, 1.0), Sample(2, 2.0)])
    assert counts == [Sample(15_000, 2.0)]  # empty windows are omitted, never a 0 count


def test_evaluate_range_is_not_quadratic() -> None:
    samples = [Sample(t, float(t)) for t in range(0, 20_000_000, 200)]  # 100k samples
    query = q(start_ms=0, end_ms=20_000_000, step_ms=2_000, function=Aggregation.MAX)  # 10k steps
    points = evaluate_range(query, samples)
    assert len(points) == 10_001 and points[-1] == Sample(20_000_000, 19_999_800.0)


# --- group_series -----------------------------------------------------------------------


def series(**labels: str) -> LabelSet:
    return LabelSet.of(labels)


INPUT = [
    (series(host="b", dc="x"), [Sample(0, 1.0), Sample(10, 2.0)]),
    (series(host="a", dc="x"), (Sample(0, 10.0),)),
    (series(host="a", dc="y"), [Sample(0, 100.0), Sample(10, 200.0)]),
]


def test_group_by_none_returns_input_as_lists() -> None:
    out = group_series(q(), INPUT)
    assert out == [(labels, list(samples)) for labels, samples in INPUT]
    assert all(isinstance(samples, list) for _, samples in out)


def test_group_by_nothing_merges_everything() -> None:
    assert group_series(q(group_by=()), INPUT) == [
        (LabelSet.of({}), [Sample(0, 111.0), Sample(10, 202.0)])
    ]


def test_group_by_labels_sorted_output() -> None:
    assert group_series(q(group_by=("dc",), group_aggregation="max"), INPUT) == [
        (series(dc="x"), [Sample(0, 10.0), Sample(10, 2.0)]),
        (series(dc="y"), [Sample(0, 100.0), Sample(10, 200.0)]),
    ]
    assert group_series(q(group_by=("host",), group_aggregation="count"), INPUT) == [
        (series(host="a"), [Sample(0, 2.0), Sample(10, 1.0)]),
        (series(host="b"), [Sample(0, 1.0), Sample(10, 1.0)]),
    ]
    # A label no series has groups everything under the empty set.
    assert [labels for labels, _ in group_series(q(group_by=("zone",)), INPUT)] == [LabelSet.of({})]


def test_group_last_and_quantile() -> None:
    assert group_series(q(group_by=(), group_aggregation="last"), INPUT)[0][1][0] == Sample(0, 100.0)
    median = group_series(q(group_by=(), group_aggregation="quantile", q=0.5), INPUT)
    assert median[0][1] == [Sample(0, 10.0), Sample(10, 101.0)]
