"""The novelty detector's parts: the conformal tail, the pattern memory, the range check,
and the behaviours the combination is for (a new shape alarms, a recurring one does not).

The generic contract (score range, NaN/Inf, checkpoint, bounded state) is checked for
every registered detector, this one included, in ``test_detectors.py``.
"""

from __future__ import annotations

import json
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.anomaly import make_detector, restore
from domain.anomaly.novelty import ConformalTail, NoveltyDetector, PatternMemory, RangeNovelty

STEP_MS = 300_000  # five minutes, as in most NAB series
T0 = 1_400_000_000_000
SMALL = dict(recent=60, keep=40)  # a small memory keeps these tests fast
#: About the threshold the NAB sweep picks for this detector with its defaults
#: (0.193 on the development subset): "alarms" and "stays quiet" below mean that.
ALARM = 0.19


def feed(det, values, start: int = 0) -> list[float]:
    return [det.update(T0 + (start + i) * STEP_MS, v) for i, v in enumerate(values)]


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=120))
def test_scores_stay_in_unit_interval_for_any_input(values):
    det = NoveltyDetector(window=4, **SMALL)
    for i, v in enumerate(values):
        assert 0.0 <= det.update(T0 + i * STEP_MS, v) <= 1.0
    json.dumps(det.state(), allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.floats(min_value=-1e300, max_value=1e300), min_size=20, max_size=120))
def test_large_finite_values_keep_the_parts_finite(values):
    memory, spatial, tail = PatternMemory(window=3, recent=20, keep=10), RangeNovelty(warmup=0), ConformalTail(50.0)
    for v in values:
        for s in (memory(v), spatial(v), tail(abs(v))):
            assert 0.0 <= s < math.inf


def test_conformal_tail_ranks_a_new_record_above_the_ordinary():
    rng = random.Random(1)
    tail = ConformalTail(horizon=1000.0)
    ordinary = [tail(rng.random()) for _ in range(2000)]
    assert max(ordinary[500:]) < 3.5  # a p-value is never below 1 / (memory + 1)
    assert tail(5.0) > tail(1.5) > 2.0
    assert tail(math.nan) == 0.0


def test_pattern_memory_round_trips_through_json_and_continues_identically():
    rng = random.Random(2)
    values = [math.sin(i / 5.0) + rng.gauss(0, 0.1) for i in range(400)]
    whole = PatternMemory(window=6, recent=50, keep=30)
    expected = [whole(v) for v in values]
    for cut in (0, 3, 11, 12, 13, 40, 200):
        first = PatternMemory(window=6, recent=50, keep=30)
        got = [first(v) for v in values[:cut]]
        resumed = PatternMemory.from_state(json.loads(json.dumps(first.state())))
        got += [resumed(v) for v in values[cut:]]
        assert got == expected, cut


def test_state_has_a_fixed_shape_from_the_start():
    det = NoveltyDetector(recent=60, keep=10)
    empty = det.state()
    rng = random.Random(6)
    feed(det, [rng.expovariate(1.0) for _ in range(1500)])  # heavy-tailed: novel shapes keep coming
    full = det.state()
    assert full["pattern"]["kept_count"] == 10  # the kept memory filled up, then replaced
    for key in ("history", "kept", "used"):
        assert len(full["pattern"][key]) == len(empty["pattern"][key]), key
    assert len(json.dumps(full)) < len(json.dumps(empty)) + 20_000


def test_a_value_beyond_the_seen_range_scores_high():
    rng = random.Random(3)
    values = [50 + rng.gauss(0, 1) for _ in range(600)]
    det = NoveltyDetector(**SMALL)
    before = feed(det, values)
    spike = det.update(T0 + 600 * STEP_MS, 70.0)
    assert spike >= 0.5 and spike > max(before[100:])


def test_a_recurring_burst_off_the_daily_grid_stops_alarming():
    # A sawtooth with a burst every 100 points (not aligned with a day): the seasonal
    # profile cannot learn the burst; the pattern memory does, and vetoes it.
    def saw(i: int) -> float:
        return (i % 10) + (20.0 if i % 100 == 50 else 0.0)

    scores = feed(NoveltyDetector(**SMALL), [saw(i) for i in range(1200)])
    assert max(scores[600:]) < ALARM


def test_a_daily_pattern_that_breaks_inside_its_range_scores_high():
    # Three days of a noisy daily wave; at the top of the fourth day's wave it drops
    # to its middle level and stays there (NAB's "flatmiddle" kind of failure): no
    # value leaves the range, but the shape is new and the level wrong for the hour.
    rng = random.Random(7)
    day = 288
    start = 3 * day + day // 4
    wave = [10 + 5 * math.sin(2 * math.pi * i / day) + rng.gauss(0, 0.2) for i in range(start)]
    det = NoveltyDetector(**SMALL)
    before = feed(det, wave)
    flat = feed(det, [10 + rng.gauss(0, 0.2) for _ in range(day // 4)], start=start)
    assert max(flat) > ALARM > max(before[day:])


def test_a_periodic_stream_scores_low_after_warm_up():
    rng = random.Random(5)
    values = [10 + 5 * math.sin(2 * math.pi * i / 288) + rng.gauss(0, 0.3) for i in range(2000)]
    scores = feed(NoveltyDetector(), values)
    assert max(scores[600:]) < ALARM


def test_registry_builds_and_restores_it():
    det = make_detector("novelty", window=5, **SMALL)
    feed(det, [float(i % 13) for i in range(100)])
    again = restore(json.loads(json.dumps(det.state())))
    assert isinstance(again, NoveltyDetector)
    assert again.state() == det.state()


def daily_wave(days: int, rng: random.Random, peak: float = 80.0) -> list[float]:
    """A day of 288 points: low at night, a plateau at ``peak`` in the afternoon."""
    return [(peak if 150 <= i % 288 < 220 else 20.0) + rng.gauss(0, 1.0) for i in range(days * 288)]


def test_a_daily_peak_that_does_not_come_alarms():
    # NAB's "nojump": every shape of the missing day is familiar (the night goes on),
    # so the pattern memory vetoes each seasonal outlier; the outlier persists, though.
    rng = random.Random(11)
    det = NoveltyDetector(**SMALL)
    before = feed(det, daily_wave(6, rng))
    missing = feed(det, [20.0 + rng.gauss(0, 1.0) for _ in range(288)], start=6 * 288)
    assert max(missing[150:220]) > ALARM
    assert max(missing[150:220]) > max(before[3 * 288:])


def test_a_familiar_shape_off_its_hour_for_a_moment_is_still_vetoed():
    # The evening step down comes two points early one day: a seasonal outlier for
    # two points (shorter than ``persistence``), of a shape seen every evening.
    rng = random.Random(12)
    values = daily_wave(8, rng)
    values[7 * 288 + 218] = values[7 * 288 + 219] = 20.0
    scores = feed(NoveltyDetector(**SMALL), values)
    assert max(scores[7 * 288 + 210:7 * 288 + 240]) < ALARM


def test_a_slow_change_of_shape_is_clearer_to_the_coarse_memory():
    # A slow oscillation (period 200 points, amplitude 2 sigma) starts in a noisy flat
    # series: each 8-point context is still mostly noise, the means of 8 points are not.
    rng = random.Random(13)
    flat = [50 + rng.gauss(0, 1.0) for _ in range(1500)]
    wave = [50 + 2 * math.sin(2 * math.pi * i / 200) + rng.gauss(0, 1.0) for i in range(400)]
    fine, coarse = PatternMemory(8, 60, 40), PatternMemory(8, 30, 20)

    def means(values: list[float]) -> list[float]:
        return [math.fsum(values[i:i + 8]) / 8 for i in range(0, len(values) - 7, 8)]

    fine_flat = max([fine(v) for v in flat][750:])
    coarse_flat = max([coarse(m) for m in means(flat)][90:])
    fine_wave = max(fine(v) for v in wave)
    coarse_wave = max(coarse(m) for m in means(wave))
    assert coarse_wave > 1.5 * coarse_flat
    assert fine_wave < 1.5 * fine_flat


def test_an_event_that_keeps_recurring_scores_lower_each_time_lately():
    # A spike of the same height every 100 points, on the same noise: the first ones
    # are rare; once several sit in the rarity horizon, each scores less.
    rng = random.Random(14)
    values = [10 + rng.gauss(0, 0.5) + (8.0 if i % 100 == 99 and i > 300 else 0.0) for i in range(1500)]
    scores = feed(NoveltyDetector(**SMALL), values)
    spikes = [scores[i] for i in range(399, 1500, 100)]
    assert spikes[0] > ALARM
    assert spikes[-1] < spikes[0]


def test_state_round_trips_inside_a_coarse_block_and_a_persistence_run():
    rng = random.Random(15)
    values = daily_wave(3, rng)
    whole = NoveltyDetector(**SMALL)
    expected = feed(whole, values)
    for cut in (1, 7, 8, 9, 301, 603):  # around block boundaries and the warm-up
        first = NoveltyDetector(**SMALL)
        got = feed(first, values[:cut])
        resumed = restore(json.loads(json.dumps(first.state())))
        got += feed(resumed, values[cut:], start=cut)
        assert got == expected, cut
        state, fresh = first.state(), NoveltyDetector(**SMALL).state()
        for key in ("block", "held"):  # padded to capacity: the checkpoint's shape never changes
            assert len(state[key]) == len(fresh[key]), key


@pytest.mark.parametrize("bad", [dict(coarse=0), dict(persistence=0)])
def test_parameters_below_one_are_refused(bad):
    with pytest.raises(ValueError, match="at least 1"):
        NoveltyDetector(**bad)
