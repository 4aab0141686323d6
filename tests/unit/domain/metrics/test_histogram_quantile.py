"""histogram_quantile: Prometheus' own test cases and a reference that expands the
buckets into individual observations."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.metrics.aggregations import histogram_quantile

from .strategies import close

INF, NAN = math.inf, math.nan

# promql/promqltest/testdata/histograms.test, evaluated at 50m (counts are 10x the rate).
POSITIVE = [(0.1, 50.0), (0.2, 70.0), (1.0, 110.0), (INF, 120.0)]
NEGATIVE = [(-0.2, 10.0), (-0.1, 20.0), (0.3, 20.0), (INF, 30.0)]


@pytest.mark.parametrize(
    ("q", "positive", "negative"),
    [
        (-0.1, -INF, -INF),
        (1.01, INF, INF),
        (0.0, 0.0, -0.2),
        (1.0, 1.0, 0.3),
        (0.2, 0.048, -0.2),
        (0.5, 0.15, -0.15),
        (0.8, 0.72, 0.3),
    ],
)
def test_prometheus_examples(q: float, positive: float, negative: float) -> None:
    assert histogram_quantile(q, POSITIVE) == pytest.approx(positive)
    assert histogram_quantile(q, NEGATIVE) == pytest.approx(negative)
    assert histogram_quantile(q, list(reversed(POSITIVE))) == pytest.approx(positive)


def test_degenerate_inputs_give_nan() -> None:
    assert math.isnan(histogram_quantile(NAN, POSITIVE))
    assert math.isnan(histogram_quantile(0.5, []))
    assert math.isnan(histogram_quantile(0.5, [(INF, 10.0)]))  # one bucket
    assert math.isnan(histogram_quantile(0.5, [(0.1, 1.0), (1.0, 2.0)]))  # no +Inf bucket
    assert math.isnan(histogram_quantile(0.5, [(0.1, 0.0), (INF, 0.0)]))  # no observations
    assert math.isnan(histogram_quantile(0.5, [(NAN, 1.0), (INF, 2.0)]))
    assert math.isnan(histogram_quantile(0.5, [(1.0, NAN), (INF, 2.0)]))


def test_rank_in_inf_bucket_gives_largest_finite_bound() -> None:
    assert histogram_quantile(0.99, [(1.0, 1.0), (2.0, 1.0), (INF, 100.0)]) == 2.0


def test_non_monotonic_counts_use_running_max() -> None:
    # The 0.2 bucket was scraped before the 0.1 one caught up: treat it as 50.
    broken = [(0.1, 50.0), (0.2, 45.0), (1.0, 110.0), (INF, 120.0)]
    fixed = [(0.1, 50.0), (0.2, 50.0), (1.0, 110.0), (INF, 120.0)]
    for q in (0.1, 0.41, 0.5, 0.9):
        assert histogram_quantile(q, broken) == histogram_quantile(q, fixed)


def test_duplicate_bounds_are_merged() -> None:
    # Two series for le="1" and le="1.0" of the same histogram (as Prometheus coalesces).
    split = [(1.0, 3.0), (1.0, 2.0), (INF, 5.0), (INF, 5.0)]
    assert histogram_quantile(0.5, split) == histogram_quantile(0.5, [(1.0, 5.0), (INF, 10.0)])


def test_q_zero_is_lower_bound_of_first_non_empty_bucket() -> None:
    assert histogram_quantile(0.0, [(0.1, 0.0), (0.5, 0.0), (1.0, 4.0), (INF, 4.0)]) == 0.5
    assert histogram_quantile(0.0, [(0.1, 0.0), (INF, 4.0)]) == 0.1


# --- property test against an expanding reference --------------------------------


def expanded_reference(q: float, bounds: list[float], per_bucket: list[int]) -> float:
    """Place each observation in its bucket: the j-th of c observations in (lo, hi]
    spans ranks (cum_before + j - 1, cum_before + j] and positions linearly from
    lo + (hi - lo)(j - 1)/c to lo + (hi - lo) j/c. The q-quantile is the point at rank
    q * total of the observation holding that rank (the first one for rank 0)."""
    observations = []  # (bucket index, count before the bucket)
    before = 0
    for b, count in enumerate(per_bucket):
        observations.extend((b, before) for _ in range(count))
        before += count
    total = len(observations)
    rank = q * total
    k = max(1, math.ceil(rank))
    b, cum_before = observations[k - 1]
    if bounds[b] == INF:
        return bounds[-2]
    if b == 0 and bounds[0] <= 0:
        return bounds[0]
    lo = bounds[b - 1] if b > 0 else 0.0
    return lo + (bounds[b] - lo) * (rank - cum_before) / per_bucket[b]


@st.composite
def histograms(draw: st.DrawFn) -> tuple[list[float], list[int]]:
    finite = draw(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=8, unique=True))
    bounds = sorted(finite) + [INF]
    per_bucket = draw(st.lists(st.integers(0, 6), min_size=len(bounds), max_size=len(bounds)))
    return bounds, per_bucket


def cumulative(bounds: list[float], per_bucket: list[int]) -> list[tuple[float, float]]:
    out, running = [], 0
    for bound, count in zip(bounds, per_bucket):
        running += count
        out.append((bound, float(running)))
    return out


@given(histograms(), st.floats(0, 1), st.randoms(use_true_random=False))
def test_matches_expanding_reference(
    histogram: tuple[list[float], list[int]], q: float, rnd: object
) -> None:
    bounds, per_bucket = histogram
    assume(sum(per_bucket) > 0)
    buckets = cumulative(bounds, per_bucket)
    rnd.shuffle(buckets)  # type: ignore[attr-defined]
    expected = expanded_reference(q, bounds, per_bucket)
    assert close(histogram_quantile(q, buckets), expected, rel=1e-9, abs_tol=1e-9)


@given(histograms(), st.floats(0, 1), st.data())
def test_lowering_counts_changes_nothing_beyond_the_running_max(
    histogram: tuple[list[float], list[int]], q: float, data: st.DataObject
) -> None:
    bounds, per_bucket = histogram
    assume(sum(per_bucket) > 0)
    fixed = cumulative(bounds, per_bucket)
    broken = list(fixed)
    for i in range(len(broken) - 1):  # lower a bucket below its predecessor's count
        if i > 0 and data.draw(st.booleans()):
            broken[i] = (broken[i][0], data.draw(st.floats(0, broken[i - 1][1])))
    # Running max of the broken counts, computed plainly:
    repaired, top = [], 0.0
    for bound, count in broken:
        top = max(top, count)
        repaired.append((bound, top))
    assert histogram_quantile(q, broken) == histogram_quantile(q, repaired)


@given(histograms(), st.floats(0, 1))
def test_result_is_monotonic_in_q_and_within_bounds(histogram: tuple[list[float], list[int]], q: float) -> None:
    bounds, per_bucket = histogram
    assume(sum(per_bucket) > 0)
    buckets = cumulative(bounds, per_bucket)
    low = histogram_quantile(q / 2, buckets)
    high = histogram_quantile(q, buckets)
    assert low <= high + 1e-9 * max(1.0, abs(high))
    assert min(0.0, bounds[0]) <= high <= bounds[-2]
