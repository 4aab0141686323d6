"""Streaming detectors: score range, NaN/Inf safety, checkpoint round trip, bounded state,
and the two behaviours that matter (a clear spike alarms, a regular stream does not)."""

from __future__ import annotations

import json
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.anomaly import DETECTORS, make_detector, restore
from domain.errors import ValidationError

NAMES = sorted(DETECTORS)
STEP_MS = 1_800_000  # half an hour: a day is PERIOD points, so streams stay short
PERIOD = 48
T0 = 1_400_000_000_000


def noisy_sine(n: int, seed: int = 1, *, noise: float = 0.3) -> list[float]:
    rng = random.Random(seed)
    return [10 + 5 * math.sin(2 * math.pi * i / PERIOD) + rng.gauss(0, noise) for i in range(n)]


def feed(det, values, start: int = 0) -> list[float]:
    return [det.update(T0 + (start + i) * STEP_MS, v) for i, v in enumerate(values)]


def shape(obj):
    """The structure of a state: keys and list lengths, numbers replaced by their type."""
    if isinstance(obj, dict):
        return {k: shape(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [shape(v) for v in obj]
    return type(obj).__name__ if obj is not None else "float-or-none"


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, deadline=None)
@given(values=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=80))
def test_scores_stay_in_unit_interval_and_state_stays_json(name, values):
    det = make_detector(name)
    for i, v in enumerate(values):
        score = det.update(T0 + i * STEP_MS, v)
        assert 0.0 <= score <= 1.0
    json.dumps(det.state(), allow_nan=False)  # strict JSON: no NaN/Inf leaked into state


@pytest.mark.parametrize("name", NAMES)
def test_nan_scores_zero_and_does_not_touch_state_inf_scores_one(name):
    det = make_detector(name)
    feed(det, noisy_sine(200))
    before = json.dumps(det.state())
    assert det.update(T0 + 200 * STEP_MS, math.nan) == 0.0
    assert det.update(T0 + 201 * STEP_MS, math.inf) == 1.0
    assert det.update(T0 + 202 * STEP_MS, -math.inf) == 1.0
    assert json.dumps(det.state()) == before


@pytest.mark.parametrize("name", NAMES)
def test_state_round_trip_continues_identically(name):
    values = noisy_sine(700, seed=7)
    values[650] += 30.0
    whole = make_detector(name)
    expected = feed(whole, values)

    first = make_detector(name)
    got = feed(first, values[:400])
    checkpoint = json.loads(json.dumps(first.state()))  # as stored in Redis
    resumed = restore(checkpoint)
    got += feed(resumed, values[400:], start=400)
    assert got == expected


@pytest.mark.parametrize("name", NAMES)
def test_state_size_does_not_grow_with_the_stream(name):
    det = make_detector(name)
    feed(det, noisy_sine(300))
    early = det.state()
    feed(det, noisy_sine(1500, seed=2), start=300)
    late = det.state()
    assert shape(early) == shape(late)
    # novelty keeps (recent + keep) contexts of `window` floats: bounded, but larger
    assert len(json.dumps(late)) < (100_000 if name == "novelty" else 40_000)


def test_a_clear_spike_gets_a_high_score_on_a_level_stream():
    rng = random.Random(3)
    values = [50 + rng.gauss(0, 1) for _ in range(800)]
    for name in NAMES:
        det = make_detector(name)
        before = feed(det, values)
        spike = det.update(T0 + 800 * STEP_MS, 70.0)  # a 20-sigma jump
        assert spike >= 0.5, name
        assert spike > max(before[100:]), name


def test_a_spike_in_a_daily_pattern_is_seen_by_the_seasonal_views():
    values = noisy_sine(1000)
    for name in ("seasonal", "ensemble"):
        det = make_detector(name)
        before = feed(det, values)
        i = 1000
        spike = det.update(T0 + i * STEP_MS, 10 + 5 * math.sin(2 * math.pi * i / PERIOD) + 8)
        # 0.3 = six decades of surprise, a one-in-a-million point for this series
        assert spike >= 0.3 and spike > max(before[200:]), name


@pytest.mark.parametrize("name", NAMES)
def test_flat_and_periodic_streams_score_low_after_warm_up(name):
    flat = feed(make_detector(name), [5.0] * 1000)
    assert max(flat) == 0.0
    periodic = feed(make_detector(name), [10 + 5 * math.sin(2 * math.pi * i / PERIOD) for i in range(1200)])
    assert max(periodic[200:]) < 0.15  # below 3 decades of surprise (score 0.15 = 1e-3)
    noisy = feed(make_detector(name), noisy_sine(1200, seed=5))
    assert max(noisy[200:]) < 0.25


def test_refractory_one_event_alarms_once():
    rng = random.Random(4)
    values = [50 + rng.gauss(0, 1) for _ in range(800)] + [70.0] * 5
    scores = feed(make_detector("ewma"), values)
    first, rest = scores[800], scores[801:]
    assert first >= 0.5
    assert all(s < first for s in rest)


def test_unknown_detector_is_a_validation_error():
    with pytest.raises(ValidationError) as err:
        make_detector("nope")
    assert err.value.field == "detector"
    with pytest.raises(ValidationError):
        restore({"kind": "nope"})


def test_parameters_reach_the_detector_and_survive_a_checkpoint():
    det = make_detector("ensemble", half_life=10.0, member_params={"ewma": {"short_alpha": 0.05}})
    feed(det, noisy_sine(50))
    again = restore(json.loads(json.dumps(det.state())))
    assert again.state()["params"]["member_params"] == {"ewma": {"short_alpha": 0.05}}
