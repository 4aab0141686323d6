"""The calibration primitives: surprises are -log10 tail probabilities, monotone, finite."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.anomaly.stats import (
    Refractory,
    RobustEwma,
    TailCalibrator,
    one_sided_surprise,
    surprise_to_score,
    two_sided_surprise,
)


def test_two_sided_surprise_matches_the_normal_tail():
    # P(|Z| >= 1.96) = 0.05 -> 1.301 decades; P(|Z| >= 0) = 1 -> 0.
    assert two_sided_surprise(1.959964) == pytest.approx(-math.log10(0.05), abs=1e-5)
    assert two_sided_surprise(0.0) == 0.0
    # One-sided: half the tail, one more log10(2) decade.
    assert one_sided_surprise(1.959964) == pytest.approx(-math.log10(0.025), abs=1e-5)
    assert one_sided_surprise(-50.0) == pytest.approx(0.0, abs=1e-9)


@given(st.floats(min_value=0, max_value=1e6), st.floats(min_value=0, max_value=1e6))
def test_surprise_is_monotone_and_continuous_at_the_asymptote_switch(a, b):
    lo, hi = sorted((a, b))
    assert two_sided_surprise(lo) <= two_sided_surprise(hi)
    assert math.isfinite(two_sided_surprise(hi))


def test_asymptote_joins_erfc():
    assert two_sided_surprise(29.999999) == pytest.approx(two_sided_surprise(30.0), rel=1e-4)


def test_score_mapping():
    assert surprise_to_score(math.nan) == 0.0
    assert surprise_to_score(-1.0) == 0.0
    assert surprise_to_score(6.0, 12.0) == 0.5
    assert surprise_to_score(math.inf) == 1.0


def test_robust_ewma_winsorises_outliers():
    est = RobustEwma(alpha=0.05, clip=4.0)
    for i in range(200):
        est.update(10.0 + (0.5 if i % 2 else -0.5))
    mean_before = est.mean
    est.update(1e6)  # one absurd point moves the mean by at most alpha * 4 scales
    assert abs(est.mean - mean_before) <= 0.05 * 4 * 0.7


def test_tail_calibrator_learns_routine_surprises_and_ranks_records():
    cal = TailCalibrator(horizon=1000)
    routine = [cal(5.0 if i % 50 == 0 else 0.5) for i in range(2000)]
    assert routine[-50] < 2.0  # a "5-decade" event every 50 points is a 1-in-50 event
    just_above = TailCalibrator.from_state(cal.state())(5.5)
    far_above = cal(15.0)
    assert far_above > just_above > routine[-50]


def test_refractory_lets_the_first_and_higher_scores_through():
    r = Refractory(half_life=10, damp=0.5)
    assert r(0.8) == 0.8
    assert r(0.6) == pytest.approx(0.3)
    assert r(0.9) == 0.9
