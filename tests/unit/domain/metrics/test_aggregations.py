"""Window and cross-series aggregations, checked against plain reference code."""

from __future__ import annotations

import math
import statistics
import sys
from fractions import Fraction

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from domain.errors import ValidationError
from domain.metrics.aggregations import Aggregation, aggregate, combine, increase, quantile, rate
from domain.metrics.samples import Sample

from .strategies import any_floats, close, finite_floats, nan_equal, samples_of

MAX = sys.float_info.max
ULP_OF_MAX = math.ulp(MAX)

INF, NAN = math.inf, math.nan


# --- references, written plainly ----------------------------------------------------


def ref_sum(values: list[float]) -> float:
    if any(math.isnan(v) for v in values) or (INF in values and -INF in values):
        return NAN
    if INF in values or -INF in values:
        return INF if INF in values else -INF
    exact = sum((Fraction(v) for v in values), Fraction(0))
    try:
        return float(exact)
    except OverflowError:
        return INF if exact > 0 else -INF


def ref_min_max(values: list[float], pick: object) -> float:
    real = [v for v in values if not math.isnan(v)]
    return pick(real) if real else NAN  # type: ignore[operator]


def ref_increase(values: list[float]) -> float:
    if len(values) < 2:
        return NAN
    terms = [(b - a) if b >= a else b for a, b in zip(values, values[1:])]
    if all(math.isfinite(v) for v in values):
        # Exact, then rounded once: a left-to-right float sum near the top of the range
        # can round up to inf where the true increase is still a float (7e307 * 3 terms).
        exact = sum(map(Fraction, terms), Fraction(0))
        try:
            return float(exact)
        except OverflowError:
            return math.inf
    total = 0.0
    for term in terms:
        total += term
    return total


def ref_quantile(q: float, values: list[float]) -> float:
    if not values or math.isnan(q):
        return NAN
    if q < 0:
        return -INF
    if q > 1:
        return INF
    ordered = [v for v in values if math.isnan(v)] + sorted(v for v in values if not math.isnan(v))
    rank = q * (len(ordered) - 1)
    i = int(rank)
    if rank == i:
        return ordered[i]
    w = rank - i
    return ordered[i] * (1 - w) + ordered[i + 1] * w


# --- simple aggregations vs builtins ------------------------------------------------

value_lists = st.lists(any_floats, max_size=30)


@given(value_lists)
def test_sum_matches_exact_reference(values: list[float]) -> None:
    assert nan_equal(combine(Aggregation.SUM, values), ref_sum(values) if values else NAN)


@given(value_lists)
def test_avg_matches_statistics_mean(values: list[float]) -> None:
    got = combine(Aggregation.AVG, values)
    if not values:
        assert math.isnan(got)
    elif all(math.isfinite(v) for v in values):
        exact = sum((Fraction(v) for v in values), Fraction(0)) / len(values)
        assert close(got, float(exact), rel=1e-12)
        if all(abs(v) < 1e300 for v in values):  # fmean itself overflows beyond that
            assert close(got, statistics.fmean(values), rel=1e-9, abs_tol=1e-9)
    else:
        assert nan_equal(got, ref_sum(values))  # the mean of a special sum is that sum


@given(value_lists)
def test_min_max_ignore_nan_unless_all_nan(values: list[float]) -> None:
    expected_min = ref_min_max(values, min)
    expected_max = ref_min_max(values, max)
    assert nan_equal(combine(Aggregation.MIN, values), expected_min)
    assert nan_equal(combine(Aggregation.MAX, values), expected_max)
    samples = samples_of(values)
    assert nan_equal(aggregate(Aggregation.MIN, samples), expected_min)
    assert nan_equal(aggregate(Aggregation.MAX, samples), expected_max)


@given(value_lists)
def test_count_last_and_empty_input(values: list[float]) -> None:
    samples = samples_of(values)
    assert aggregate(Aggregation.COUNT, samples) == float(len(values))
    assert combine(Aggregation.COUNT, values) == float(len(values))
    last = values[-1] if values else NAN
    assert nan_equal(aggregate(Aggregation.LAST, samples), last)
    assert nan_equal(combine(Aggregation.LAST, values), last)
    if not values:
        for agg in Aggregation:
            if agg is not Aggregation.COUNT:
                assert math.isnan(aggregate(agg, [], q=0.5))


@given(value_lists)
def test_window_aggregate_equals_combine_of_values(values: list[float]) -> None:
    samples = samples_of(values)
    for agg in (Aggregation.SUM, Aggregation.AVG, Aggregation.MIN, Aggregation.MAX, Aggregation.QUANTILE):
        assert nan_equal(aggregate(agg, samples, q=0.9), combine(agg, values, q=0.9))


def test_nan_and_inf_examples() -> None:
    assert math.isnan(combine(Aggregation.SUM, [1.0, NAN]))
    assert math.isnan(combine(Aggregation.AVG, [INF, -INF]))
    assert combine(Aggregation.SUM, [INF, 1.0]) == INF
    assert combine(Aggregation.MIN, [NAN, 3.0, 1.0]) == 1.0
    assert math.isnan(combine(Aggregation.MAX, [NAN, NAN]))
    # An intermediate overflow does not make a finite answer infinite.
    assert combine(Aggregation.SUM, [1e308, 1e308, -1e308]) == 1e308
    assert combine(Aggregation.AVG, [1e308, 1e308]) == 1e308


def test_quantile_needs_q_and_counter_functions_cannot_combine() -> None:
    with pytest.raises(ValidationError) as info:
        aggregate(Aggregation.QUANTILE, samples_of([1.0]))
    assert info.value.field == "q"
    with pytest.raises(ValidationError) as info:
        combine(Aggregation.QUANTILE, [1.0])
    assert info.value.field == "q"
    for agg in (Aggregation.RATE, Aggregation.INCREASE):
        with pytest.raises(ValidationError) as info:
            combine(agg, [1.0])
        assert info.value.field == "group_aggregation"
    with pytest.raises(ValidationError) as info:
        aggregate("median", [])  # type: ignore[arg-type]
    assert info.value.field == "function"
    assert aggregate("max", samples_of([1.0, 2.0])) == 2.0  # type: ignore[arg-type]


# --- quantile --------------------------------------------------------------------------

qs = st.one_of(st.floats(0, 1), st.sampled_from([0.0, 0.5, 1.0, -0.1, 1.1, NAN]))


@given(qs, value_lists)
def test_quantile_matches_sort_and_interpolate(q: float, values: list[float]) -> None:
    assert nan_equal(quantile(q, values), ref_quantile(q, values))


@given(st.lists(st.floats(-1e12, 1e12), min_size=2, max_size=30), st.integers(2, 10))
def test_quantile_matches_statistics_inclusive_quantiles(values: list[float], n: int) -> None:
    cuts = statistics.quantiles(values, n=n, method="inclusive")
    for i, cut in enumerate(cuts, start=1):
        assert close(quantile(i / n, values), cut, rel=1e-9, abs_tol=1e-3)


def test_quantile_examples() -> None:
    assert quantile(0.5, [1.0, 2.0, 3.0, 4.0]) == 2.5
    assert quantile(0.0, [3.0, 1.0]) == 1.0 and quantile(1.0, [3.0, 1.0]) == 3.0
    assert quantile(-1, [1.0]) == -INF and quantile(2, [1.0]) == INF
    assert math.isnan(quantile(NAN, [1.0])) and math.isnan(quantile(0.5, []))
    assert quantile(0.0, [1.0, INF]) == 1.0  # not 1*1 + Inf*0 = NaN
    assert math.isnan(quantile(0.0, [NAN, 1.0]))  # NaN sorts first, as in Prometheus


# --- counters: increase and rate ------------------------------------------------------


@st.composite
def counters(draw: st.DrawFn) -> tuple[list[float], int]:
    """A counter with random detectable resets, and its true total increase."""
    value = draw(st.integers(0, 1000))
    values, truth = [float(value)], 0
    for _ in range(draw(st.integers(0, 30))):
        if value > 0 and draw(st.booleans()) and draw(st.booleans()):
            value = draw(st.integers(0, value - 1))  # restarted from 0 and counted this much
            truth += value
        else:
            step = draw(st.integers(0, 10**6))
            value += step
            truth += step
        values.append(float(value))
    return values, truth


@given(counters())
def test_increase_counts_resets_exactly(counter: tuple[list[float], int]) -> None:
    values, truth = counter
    got = increase(samples_of(values))
    if len(values) < 2:
        assert math.isnan(got)
    else:
        assert got == truth == ref_increase(values)


@given(counters(), st.integers(1, 60_000))
def test_rate_is_increase_per_second_of_span(counter: tuple[list[float], int], step_ms: int) -> None:
    values, truth = counter
    samples = samples_of(values, start=1_000_000, step=step_ms)
    got = rate(samples)
    if len(values) < 2:
        assert math.isnan(got)
    else:
        assert close(got, truth / ((len(values) - 1) * step_ms / 1000), rel=1e-12)
        assert close(aggregate(Aggregation.RATE, samples), got)
        assert aggregate(Aggregation.INCREASE, samples) == truth


@given(st.lists(st.floats(min_value=0, allow_infinity=False), max_size=30))
@example([0.0, MAX, 0.0, 0.4 * ULP_OF_MAX, 0.0, 0.4 * ULP_OF_MAX])  # exactly: max + 0.8 ulp, so inf
@example([0.0, 7e307, 0.0, 7e307, 0.0, 7e307])
def test_increase_matches_pairwise_reference_on_any_counter_floats(values: list[float]) -> None:
    assert close(increase(samples_of(values)), ref_increase(values), rel=1e-9)


counter_values_with_specials = st.one_of(st.floats(min_value=0), st.just(NAN), st.just(INF))


@given(st.lists(counter_values_with_specials, max_size=12))
def test_increase_with_specials_follows_pairwise_ieee_arithmetic(values: list[float]) -> None:
    # Counters are never negative, so the terms never cancel and the naive
    # left-to-right sum is an accurate reference.
    assume(not all(math.isfinite(v) for v in values))
    assert close(increase(samples_of(values)), ref_increase(values), rel=1e-9)


def test_counter_examples() -> None:
    # 10 -> 15 (+5) -> 3 (reset: +3) -> 7 (+4): 12 over 30 s, no extrapolation.
    samples = samples_of([10.0, 15.0, 3.0, 7.0], start=0, step=10_000)
    assert increase(samples) == 12.0
    assert rate(samples) == pytest.approx(0.4)
    assert math.isnan(increase(samples_of([5.0])))
    assert math.isnan(rate([Sample(1000, 1.0), Sample(1000, 2.0)]))  # no time passed
    assert math.isnan(increase(samples_of([1.0, NAN, 3.0])))
    assert increase(samples_of([1.0, INF])) == INF
