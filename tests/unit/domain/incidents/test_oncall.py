"""On-call schedules: DST-correct hand-offs, layers, restrictions, overrides."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import ValidationError
from domain.incidents.oncall import Layer, Override, Restriction, Rotation, Schedule, Shift

HOUR = 3_600_000
DAY = 24 * HOUR
BERLIN = "Europe/Berlin"


def utc(y, mo, d, h=0, mi=0) -> int:
    return int(datetime(y, mo, d, h, mi, tzinfo=timezone.utc).timestamp() * 1000)


def local(tz, y, mo, d, h=0, mi=0) -> int:
    return int(datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(tz)).timestamp() * 1000)


def sched(*layers, overrides=(), tz="UTC") -> Schedule:
    return Schedule("s1", "acme", "Primary", tz, tuple(layers), tuple(overrides))


# ------------------------------------------------------------------ rotations

def test_daily_rotation_hands_off_at_local_nine_across_spring_dst():
    r = Rotation(("a", "b", "c"), local(BERLIN, 2024, 3, 25, 9), "09:00", BERLIN, "daily")
    # Winter (CET, UTC+1): 09:00 local is 08:00 UTC.
    assert r.handoff(5) == utc(2024, 3, 30, 8)
    # Summer (CEST, UTC+2) after the change on 31 March: 09:00 local is 07:00 UTC.
    assert r.handoff(6) == utc(2024, 3, 31, 7)
    assert r.user_at(utc(2024, 3, 31, 7) - 1) == "c"
    assert r.user_at(utc(2024, 3, 31, 7)) == "a"
    assert r.shift_at(utc(2024, 3, 31, 12)) == Shift("a", utc(2024, 3, 31, 7), utc(2024, 4, 1, 7))
    assert r.shift_at(utc(2024, 3, 30, 23)).end_ms - r.shift_at(utc(2024, 3, 30, 23)).start_ms == 23 * HOUR


def test_daily_rotation_across_autumn_dst():
    r = Rotation(("a", "b"), local(BERLIN, 2024, 10, 26, 9), "09:00", BERLIN, "daily")
    assert r.handoff(1) == utc(2024, 10, 27, 8)  # CET again
    assert r.shift_at(r.start_ms) == Shift("a", utc(2024, 10, 26, 7), utc(2024, 10, 27, 8))  # a 25-hour day


def test_handoff_in_the_spring_gap_happens_when_the_clock_jumps():
    r = Rotation(("a", "b"), local(BERLIN, 2024, 3, 30, 2, 30), "02:30", BERLIN, "daily")
    assert r.handoff(1) == utc(2024, 3, 31, 1)  # 02:30 never shows; 03:00 CEST = 01:00 UTC


def test_weekly_rotation():
    r = Rotation(("a", "b"), utc(2024, 1, 1, 9), "09:00", "UTC", "weekly")  # a Monday
    assert r.user_at(utc(2024, 1, 1, 8, 59)) is None  # not started
    assert r.user_at(utc(2024, 1, 1, 9)) == "a"
    assert r.user_at(utc(2024, 1, 8, 8, 59)) == "a"
    assert r.user_at(utc(2024, 1, 8, 9)) == "b"
    assert r.user_at(utc(2024, 1, 15, 9)) == "a"
    assert r.user_at(utc(2024, 12, 30, 9)) == "a"  # 52 weeks later: even shift
    assert r.next_handoff_after(utc(2023, 12, 1)) == utc(2024, 1, 1, 9)
    assert r.next_handoff_after(utc(2024, 1, 3)) == utc(2024, 1, 8, 9)
    assert r.next_handoff_after(utc(2024, 1, 8, 9)) == utc(2024, 1, 15, 9)


def test_first_shift_runs_from_start_to_the_first_handoff():
    r = Rotation(("a", "b"), utc(2024, 1, 3, 14), "09:00", "UTC", "weekly")  # Wednesday afternoon
    assert r.shift_at(utc(2024, 1, 3, 14)) == Shift("a", utc(2024, 1, 3, 14), utc(2024, 1, 10, 9))
    assert r.user_at(utc(2024, 1, 10, 9)) == "b"


def test_custom_length_in_days():
    r = Rotation(("a", "b", "c"), utc(2024, 1, 1, 0), "00:00", "UTC", 3)
    assert [r.user_at(utc(2024, 1, d)) for d in (1, 3, 4, 7, 10)] == ["a", "a", "b", "c", "a"]


@pytest.mark.parametrize("kw,field", [
    ({"users": ()}, "users"), ({"users": ("a", "")}, "users[1]"), ({"handoff_time": "9:00"}, "handoff_time"),
    ({"handoff_time": "24:00"}, "handoff_time"), ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": "../etc"}, "timezone"), ({"length": 0}, "length"), ({"length": "monthly"}, "length"),
    ({"length": True}, "length"), ({"start_ms": 1.0}, "start_ms"),
])
def test_rotation_validation(kw, field):
    args = {"users": ("a",), "start_ms": 0, "handoff_time": "09:00", "timezone": "UTC", "length": "daily"} | kw
    with pytest.raises(ValidationError) as e:
        Rotation(**args)
    assert e.value.field == field


# --------------------------------------------------- layers and overrides

def test_higher_layer_overrides_lower_and_restrictions_let_it_show_through():
    start = local(BERLIN, 2024, 1, 1)
    nights = Layer("24/7", Rotation(("night",), start, "00:00", BERLIN, "weekly"))
    days = Layer("business hours", Rotation(("day",), start, "09:00", BERLIN, "weekly"),
                 Restriction.weekdays("09:00", "17:00"))
    s = sched(nights, days, tz=BERLIN)
    assert s.on_call_at(local(BERLIN, 2024, 1, 8, 10)) == "day"  # Monday 10:00
    assert s.on_call_at(local(BERLIN, 2024, 1, 8, 17)) == "night"  # window end is exclusive
    assert s.on_call_at(local(BERLIN, 2024, 1, 13, 10)) == "night"  # Saturday
    assert s.on_call_at(local(BERLIN, 2024, 7, 8, 9)) == "day"  # summer: still 09:00 local
    assert s.on_call_at(local(BERLIN, 2023, 12, 31, 12)) is None  # nothing started yet


def test_restriction_wrapping_the_weekend():
    weekend = Restriction(4, "18:00", 0, "08:00")  # Friday 18:00 -> Monday 08:00
    z = ZoneInfo("UTC")
    assert weekend.contains(utc(2024, 1, 6, 12), z)  # Saturday
    assert weekend.contains(utc(2024, 1, 8, 7, 59), z)  # Monday early
    assert not weekend.contains(utc(2024, 1, 8, 8), z)
    assert not weekend.contains(utc(2024, 1, 5, 17), z)
    assert weekend.contains(utc(2024, 1, 5, 18), z)
    overnight = Restriction.daily("22:00", "06:00")
    assert overnight[6] == Restriction(6, "22:00", 0, "06:00")
    with pytest.raises(ValidationError):
        Restriction(0, "09:00", 0, "09:00")
    with pytest.raises(ValidationError):
        Restriction(7, "09:00", 0, "10:00")


def test_overrides_win_and_the_last_one_wins_among_them():
    base = Layer("l1", Rotation(("a", "b"), utc(2024, 1, 1), "00:00", "UTC", "daily"))
    s = sched(base, overrides=[Override("x", utc(2024, 1, 2, 10), utc(2024, 1, 2, 14)),
                               Override("y", utc(2024, 1, 2, 12), utc(2024, 1, 2, 13))])
    assert s.on_call_at(utc(2024, 1, 2, 9)) == "b"
    assert s.on_call_at(utc(2024, 1, 2, 10)) == "x"
    assert s.on_call_at(utc(2024, 1, 2, 12, 30)) == "y"
    assert s.on_call_at(utc(2024, 1, 2, 13)) == "x"
    assert s.on_call_at(utc(2024, 1, 2, 14)) == "b"
    assert sched(overrides=[Override("x", 0, 10)]).on_call_at(5) == "x"  # no layers at all
    assert s.users() == {"a", "b", "x", "y"}
    with pytest.raises(ValidationError):
        Override("x", 10, 10)


# ---------------------------------------------------------- next hand-off

def test_next_handoff_after():
    base = Layer("l1", Rotation(("a", "b"), utc(2024, 1, 1, 9), "09:00", "UTC", "daily"))
    assert sched(base).next_handoff_after(utc(2024, 1, 2, 3)) == utc(2024, 1, 2, 9)
    # An override from 08:00 to 10:00 hides the 09:00 hand-off: a -> x -> b.
    s = sched(base, overrides=[Override("x", utc(2024, 1, 2, 8), utc(2024, 1, 2, 10))])
    assert s.next_handoff_after(utc(2024, 1, 2, 3)) == utc(2024, 1, 2, 8)
    assert s.next_handoff_after(utc(2024, 1, 2, 8, 30)) == utc(2024, 1, 2, 10)
    # An override by the person already on call changes nobody.
    same = sched(base, overrides=[Override("a", utc(2024, 1, 1, 10), utc(2024, 1, 1, 12))])
    assert same.next_handoff_after(utc(2024, 1, 1, 9, 30)) == utc(2024, 1, 2, 9)
    # A restriction edge is a hand-off to nobody.
    day = Layer("d", Rotation(("d",), utc(2024, 1, 1), "00:00", "UTC", "weekly"), Restriction.daily("09:00", "17:00"))
    assert sched(day).next_handoff_after(utc(2024, 1, 1, 10)) == utc(2024, 1, 1, 17)
    assert sched(day).on_call_at(utc(2024, 1, 1, 17)) is None
    # One person, always: nobody ever takes over.
    solo = Layer("s", Rotation(("s",), utc(2024, 1, 1), "00:00", "UTC", "daily"))
    assert sched(solo).next_handoff_after(utc(2024, 1, 5)) is None
    assert sched().next_handoff_after(0) is None


def test_final_schedule_renders_shifts_and_gaps():
    day = Layer("d", Rotation(("a", "b"), utc(2024, 1, 1), "09:00", "UTC", "daily"), Restriction.daily("09:00", "17:00"))
    assert sched(day).final_schedule(utc(2024, 1, 1, 12), utc(2024, 1, 2, 12)) == (
        Shift("a", utc(2024, 1, 1, 12), utc(2024, 1, 1, 17)),
        Shift(None, utc(2024, 1, 1, 17), utc(2024, 1, 2, 9)),
        Shift("b", utc(2024, 1, 2, 9), utc(2024, 1, 2, 12)),
    )


# --------------------------------------------------------------- properties

ZONES = ["UTC", BERLIN, "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
T_LO, T_HI = utc(2023, 1, 1), utc(2026, 1, 1)
DST_CHANGES = [utc(2024, 3, 31, 1), utc(2024, 10, 27, 1), utc(2024, 3, 10, 7), utc(2024, 11, 3, 6),
               utc(2024, 4, 6, 15), utc(2024, 10, 5, 15, 30)]  # Berlin, New York, Lord Howe
instant_st = st.one_of(st.integers(T_LO, T_HI),
                       st.builds(lambda c, d: c + d, st.sampled_from(DST_CHANGES), st.integers(-3 * HOUR, 3 * HOUR)))
hhmm = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.one_of(st.integers(0, 23), st.sampled_from([1, 2, 3])),
                 st.sampled_from([0, 15, 30, 59]))  # 01:00-03:59 is where clocks change
rotation_st = st.builds(Rotation, st.lists(st.sampled_from("abcdefg"), min_size=1, max_size=4).map(tuple),
                        instant_st, hhmm, st.sampled_from(ZONES),
                        st.one_of(st.sampled_from(["daily", "weekly"]), st.integers(1, 10)))
window_st = st.one_of(
    st.builds(Restriction.daily, hhmm, hhmm),
    st.tuples(st.integers(0, 6), hhmm, st.integers(0, 6), hhmm)
    .filter(lambda w: (w[0], w[1]) != (w[2], w[3]))
    .map(lambda w: (Restriction(*w),)),
)
layer_st = st.builds(Layer, st.just("layer"), rotation_st, st.one_of(st.just(()), window_st))
override_st = st.builds(lambda u, s, d: Override(u, s, s + d), st.sampled_from("xyz"),
                        instant_st, st.integers(1, 30 * DAY))
schedule_st = st.builds(lambda ls, os: sched(*ls, overrides=os),
                        st.lists(layer_st, max_size=3), st.lists(override_st, max_size=3))


@given(schedule_st, instant_st)
def test_on_call_is_a_layer_user_an_override_user_or_nobody(s, t):
    who = s.on_call_at(t)
    assert who is None or who in s.users()
    covering = [o for o in s.overrides if o.covers(t)]
    if covering:
        assert who == covering[-1].user
    else:
        answers = [layer.on_call_at(t) for layer in s.layers]
        assert who == next((u for u in reversed(answers) if u is not None), None)


@given(schedule_st, instant_st, st.lists(st.floats(0, 1, exclude_max=True), max_size=5))
def test_nobody_changes_before_the_next_handoff(s, t, fractions):
    h = s.next_handoff_after(t, horizon_ms=30 * DAY)
    if h is None:
        return
    assert h > t and s.on_call_at(h) != s.on_call_at(t) and s.on_call_at(h - 1) == s.on_call_at(t)
    for f in fractions:
        assert s.on_call_at(t + int((h - t) * f)) == s.on_call_at(t)


@given(rotation_st, st.integers(1, 400))
def test_handoffs_happen_at_local_handoff_time(r, k):
    zone = ZoneInfo(r.timezone)
    h = r.handoff(k)
    wall = datetime.fromtimestamp(h / 1000, zone)
    if wall.strftime("%H:%M") != r.handoff_time:  # the clock skipped it: h is the jump
        before = datetime.fromtimestamp((h - 1) / 1000, zone)
        assert before.strftime("%H:%M") < r.handoff_time < wall.strftime("%H:%M")
    assert r.handoff(k) < r.handoff(k + 1)
    assert r.user_at(h) == r.users[k % len(r.users)] and r.user_at(h - 1) == r.users[(k - 1) % len(r.users)]


@settings(deadline=None)
@given(schedule_st, instant_st, st.integers(1, 20 * DAY))
def test_rendered_shifts_tile_the_range_without_gaps_or_overlaps(s, start, length):
    shifts = s.final_schedule(start, start + length)
    assert shifts[0].start_ms == start and shifts[-1].end_ms == start + length
    for a, b in zip(shifts, shifts[1:]):
        assert a.end_ms == b.start_ms and a.user != b.user  # adjacent shifts are different people
    for x in shifts:
        assert x.start_ms < x.end_ms
        assert s.on_call_at(x.start_ms) == x.user == s.on_call_at(x.end_ms - 1)
    # The hand-offs are exactly the boundaries, and now-and-next agrees with the rendering.
    assert [h.at_ms for h in s.handoffs(start + 1, start + length)] == [x.start_ms for x in shifts[1:]]
    at, horizon = start + length - 1, length + DAY
    current, _ = s.now_and_next(at, horizon_ms=horizon)
    assert (current.user, current.start_ms) == tuple(s.final_schedule(at - horizon, at + 1)[-1][:2])
    assert current.user == shifts[-1].user
