"""Silences (validation, state over time, Alertmanager's update rules, random change
sequences) and recurring maintenance windows across DST and midnight."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.alerts.silences import MaintenanceWindow, Recurrence, Silence, SilenceState
from domain.errors import InvalidTransition, ValidationError
from domain.metrics.labels import LabelSet
from domain.metrics.matchers import Matcher

JOB = (Matcher.of("job", "=", "api"),)
DAY = 86_400_000
WEEK = 7 * DAY
HOUR = 3_600_000


def utc(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=timezone.utc).timestamp() * 1000)


def silence(starts: int = 1_000, ends: int = 2_000, matchers=JOB, recurrence=None) -> Silence:
    return Silence("s1", "t1", matchers, starts, ends, "alice", "deploy", recurrence)


def snapshot(s: Silence) -> tuple:
    return (s.starts_at_ms, s.ends_at_ms, s.comment, s.updated_at_ms)


# -- validation -----------------------------------------------------------------------

@pytest.mark.parametrize(
    "matchers",
    [(), (Matcher.of("job", "=~", ".*"),), (Matcher.of("job", "!=", "api"), Matcher.of("env", "=", ""))],
)
def test_silence_must_not_match_everything(matchers):
    with pytest.raises(ValidationError) as err:
        silence(matchers=matchers)
    assert err.value.field == "matchers"


def test_one_non_empty_matcher_is_enough():
    s = silence(matchers=(Matcher.of("job", "=~", ".*"), Matcher.of("env", "=~", ".+")))
    assert s.mutes(LabelSet.of({"env": "prod"}), 1_500)


@pytest.mark.parametrize("kwargs, field", [
    ({"ends": 1_000}, "ends_at_ms"),
    ({"ends": 500}, "ends_at_ms"),
])
def test_silence_must_end_after_it_starts(kwargs, field):
    with pytest.raises(ValidationError) as err:
        silence(**kwargs)
    assert err.value.field == field


def test_author_and_comment_are_required():
    with pytest.raises(ValidationError):
        Silence("s1", "t1", JOB, 0, 1, " ", "why")
    with pytest.raises(ValidationError):
        Silence("s1", "t1", JOB, 0, 1, "bob", "")


# -- state and muting -----------------------------------------------------------------

def test_state_over_time_and_mutes():
    s = silence()
    assert [s.state_at(t) for t in (999, 1_000, 1_999, 2_000)] == [
        SilenceState.PENDING, SilenceState.ACTIVE, SilenceState.ACTIVE, SilenceState.EXPIRED
    ]
    api, web = LabelSet.of({"job": "api", "x": "1"}), LabelSet.of({"job": "web"})
    assert s.mutes(api, 1_500) and not s.mutes(web, 1_500) and not s.mutes(api, 2_000)


def test_expire_active_ends_now_and_cannot_repeat():
    s = silence()
    s.expire(1_500)
    assert (s.starts_at_ms, s.ends_at_ms) == (1_000, 1_500) and s.state_at(1_500) is SilenceState.EXPIRED
    with pytest.raises(InvalidTransition):
        s.expire(1_600)


def test_expire_pending_collapses_it():
    s = silence()
    s.expire(500)
    assert (s.starts_at_ms, s.ends_at_ms) == (500, 500)
    assert not s.is_active(500) and not s.is_active(1_500)


def test_update_rules():
    s = silence()
    s.update_start(1_200, now_ms=800)
    s.update_end(3_000, now_ms=900)
    assert (s.starts_at_ms, s.ends_at_ms) == (1_200, 3_000)
    with pytest.raises(ValidationError):
        s.update_start(700, now_ms=900)  # into the past
    with pytest.raises(InvalidTransition):
        s.update_start(1_300, now_ms=1_250)  # already active
    with pytest.raises(ValidationError):
        s.update_end(1_249, now_ms=1_250)  # active: not into the past
    s.update_end(1_250, now_ms=1_250)
    with pytest.raises(InvalidTransition):
        s.update_comment("later", now_ms=1_250)


# -- property: random change sequences --------------------------------------------------

OPS = st.lists(
    st.tuples(
        st.sampled_from(["expire", "update_end", "update_start", "update_comment"]),
        st.integers(0, 1_500),  # time passes
        st.integers(-1_000, 3_000),  # new time, relative to now
    ),
    max_size=25,
)


@given(st.integers(0, 2_000), st.integers(1, 2_000), OPS)
def test_random_change_sequences_keep_times_consistent(start, length, ops):
    s = silence(starts=start, ends=start + length)
    now = 0
    expired_at = None
    for op, dt, rel in ops:
        now += dt
        before, state = snapshot(s), s.state_at(now)
        try:
            if op == "expire":
                s.expire(now)
            elif op == "update_end":
                s.update_end(now + rel, now)
            elif op == "update_start":
                s.update_start(now + rel, now)
            else:
                s.update_comment(f"c{now}", now)
        except InvalidTransition:
            assert snapshot(s) == before
            assert state is SilenceState.EXPIRED or (op == "update_start" and state is SilenceState.ACTIVE)
        except ValidationError:
            assert snapshot(s) == before and state is not SilenceState.EXPIRED
        else:
            assert state is not SilenceState.EXPIRED, "an expired silence was changed"
            assert s.updated_at_ms == now
            if op == "expire":
                assert s.ends_at_ms == now and s.state_at(now) is SilenceState.EXPIRED
        # what state_at says always agrees with the two times
        assert s.starts_at_ms <= s.ends_at_ms
        for t in (s.starts_at_ms - 1, s.starts_at_ms, s.ends_at_ms - 1, s.ends_at_ms):
            expected = (
                SilenceState.PENDING if t < s.starts_at_ms
                else SilenceState.ACTIVE if t < s.ends_at_ms
                else SilenceState.EXPIRED
            )
            assert s.state_at(t) is expected
            assert s.is_active(t) is (expected is SilenceState.ACTIVE)
        # once expired, nothing brings it back
        if expired_at is None and s.state_at(now) is SilenceState.EXPIRED:
            expired_at = now
        if expired_at is not None:
            assert s.state_at(now) is SilenceState.EXPIRED


# -- recurrence -----------------------------------------------------------------------

BERLIN_SAT_NIGHT = Recurrence("Europe/Berlin", frozenset({5}), "22:00", 8 * HOUR)  # Sat 22:00 - Sun 06:00


def test_recurrence_ordinary_week():
    r = BERLIN_SAT_NIGHT  # 2025-03-22 is a Saturday, CET (+01:00)
    assert not r.contains(utc(2025, 3, 22, 20, 59, 59) + 999)
    assert r.contains(utc(2025, 3, 22, 21, 0))  # 22:00 CET
    assert r.contains(utc(2025, 3, 23, 4, 59))  # 05:59 CET Sunday, past midnight
    assert not r.contains(utc(2025, 3, 23, 5, 0))  # 06:00 CET
    assert not r.contains(utc(2025, 3, 23, 21, 30))  # Sunday night is not a chosen weekday


def test_recurrence_across_spring_forward_keeps_wall_clock():
    # Clocks go 02:00 CET -> 03:00 CEST on Sunday 2025-03-30: the window is 22:00-06:00 local, 7 real hours.
    r = BERLIN_SAT_NIGHT
    assert r.window_on(datetime(2025, 3, 29).date()) == (utc(2025, 3, 29, 21, 0), utc(2025, 3, 30, 4, 0))
    assert r.contains(utc(2025, 3, 30, 3, 59))  # 05:59 CEST
    assert not r.contains(utc(2025, 3, 30, 4, 0))  # 06:00 CEST, although only 7h have passed
    # and the next Saturday it starts at 22:00 CEST = 20:00 UTC
    assert r.contains(utc(2025, 4, 5, 20, 0)) and not r.contains(utc(2025, 4, 5, 19, 59))


def test_recurrence_across_fall_back_is_nine_real_hours():
    start, end = BERLIN_SAT_NIGHT.window_on(datetime(2025, 10, 25).date())  # type: ignore[misc]
    assert (start, end) == (utc(2025, 10, 25, 20, 0), utc(2025, 10, 26, 5, 0))
    assert end - start == 9 * HOUR


def test_start_in_the_spring_gap_lands_the_gap_later():
    daily = Recurrence("Europe/Berlin", frozenset(range(7)), "02:30", HOUR)
    start, _ = daily.window_on(datetime(2025, 3, 30).date())  # type: ignore[misc]
    assert start == utc(2025, 3, 30, 1, 30)  # read as 02:30 CET, i.e. 03:30 CEST


def test_window_longer_than_a_day():
    weekend = Recurrence("UTC", frozenset({4}), "18:00", 60 * HOUR)  # Fri 18:00 - Mon 06:00
    assert weekend.contains(utc(2025, 6, 8, 12, 0))  # Sunday noon
    assert not weekend.contains(utc(2025, 6, 9, 6, 0))  # Monday 06:00


@pytest.mark.parametrize("kwargs", [
    {"timezone": "Mars/Olympus"}, {"weekdays": frozenset()}, {"weekdays": frozenset({7})},
    {"start_time": "24:00"}, {"start_time": "7:00"}, {"duration_ms": 0}, {"duration_ms": 8 * DAY},
])
def test_recurrence_validation(kwargs):
    args = dict(timezone="UTC", weekdays=frozenset({0}), start_time="07:00", duration_ms=HOUR) | kwargs
    with pytest.raises(ValidationError):
        Recurrence(**args)


@given(
    st.sampled_from([("UTC", 0), ("Asia/Kolkata", 330 * 60_000)]),
    st.frozensets(st.integers(0, 6), min_size=1),
    st.integers(0, 23), st.integers(0, 59),
    st.integers(1, 3 * DAY),
    st.integers(utc(2020, 1, 1, 0, 0), utc(2030, 1, 1, 0, 0)),
)
def test_recurrence_matches_week_arithmetic_in_fixed_offset_zones(zone, days, hh, mm, duration, now):
    """Where the offset never changes, a window is plain arithmetic modulo a week."""
    name, offset = zone
    r = Recurrence(name, days, f"{hh:02d}:{mm:02d}", duration)
    local = now + offset
    since_monday = (local - utc(1970, 1, 5, 0, 0)) % WEEK  # 1970-01-05 was a Monday
    expected = any((since_monday - (d * DAY + hh * HOUR + mm * 60_000)) % WEEK < duration for d in days)
    assert r.contains(now) is expected


def test_recurring_silence_needs_both_its_period_and_its_window():
    mw = MaintenanceWindow(
        "mw1", "t1", JOB, utc(2025, 3, 1, 0, 0), utc(2025, 4, 1, 0, 0), "ops", "weekly patching", BERLIN_SAT_NIGHT
    )
    api = LabelSet.of({"job": "api"})
    assert mw.mutes(api, utc(2025, 3, 22, 23, 0))
    assert not mw.mutes(api, utc(2025, 3, 23, 12, 0))  # in the period, outside the window
    assert not mw.mutes(api, utc(2025, 4, 5, 21, 0))  # in a window, after the period
    assert mw.state_at(utc(2025, 3, 23, 12, 0)) is SilenceState.ACTIVE
