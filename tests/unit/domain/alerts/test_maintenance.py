"""Maintenance window schedules: when they mute, and what state they are in. Property:
an rrule schedule contains a moment exactly when one occurrence, enumerated from the
start in full, does; a weekly one exactly when the recurring silences' rule says so."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.alerts.maintenance import MaintenanceWindow, Schedule, WindowState, check_limits
from domain.alerts.rrule import RRule
from domain.alerts.silences import Recurrence, SilenceLimits
from domain.errors import LimitExceeded, ValidationError
from domain.metrics.labels import LabelSet
from domain.metrics.matchers import Matcher

DAY = 86_400_000


def ms(*parts) -> int:
    return int(datetime(*parts, tzinfo=timezone.utc).timestamp() * 1000)


T0 = ms(2026, 12, 1)


def _brute_force(s: Schedule, now: int) -> bool:
    tz = ZoneInfo(s.timezone)
    local_start = datetime.fromtimestamp(s.starts_at_ms / 1000, tz).replace(tzinfo=None)
    h, m = s.start_time.split(":")
    dtstart = datetime.combine(local_start.date(), datetime.min.time()).replace(hour=int(h), minute=int(m))
    for start in itertools.islice(s.rrule.occurrences(dtstart), 3000):
        start_ms = int(start.replace(tzinfo=tz).timestamp() * 1000)
        end_ms = int((start + timedelta(milliseconds=s.duration_ms)).replace(tzinfo=tz).timestamp() * 1000)
        if start_ms > now or start_ms >= s.ends_at_ms:
            break
        if start_ms <= now < end_ms:
            return s.starts_at_ms <= now < s.ends_at_ms
    return False


@settings(max_examples=150, deadline=None)
@given(text=st.sampled_from(["FREQ=DAILY", "FREQ=DAILY;INTERVAL=3", "FREQ=WEEKLY;BYDAY=SA,SU",
                             "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", "FREQ=MONTHLY;BYDAY=1SU", "FREQ=MONTHLY;BYMONTHDAY=-1",
                             "FREQ=DAILY;COUNT=10"]),
       tz=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney"]),
       start_time=st.sampled_from(["00:00", "02:30", "22:00"]), hours=st.integers(1, 30),
       offset=st.integers(0, 200 * DAY))
def test_rrule_contains_equals_the_full_enumeration(text, tz, start_time, hours, offset):
    s = Schedule("rrule", T0, T0 + 180 * DAY, tz, start_time=start_time, duration_ms=hours * 3_600_000,
                 rrule=RRule.parse(text))
    now = T0 + offset
    assert s.contains(now) == _brute_force(s, now)
    state = s.state_at(now)
    assert (state is WindowState.ACTIVE) == s.contains(now)
    nxt = s.next_start(now)
    assert nxt is None or (nxt > now and s.contains(nxt))


@settings(max_examples=150, deadline=None)
@given(days=st.frozensets(st.integers(0, 6), min_size=1), start_time=st.sampled_from(["00:00", "02:30", "22:00"]),
       hours=st.integers(1, 72), offset=st.integers(-5 * DAY, 100 * DAY))
def test_weekly_is_the_recurring_silences_rule_within_its_validity(days, start_time, hours, offset):
    s = Schedule("weekly", T0, T0 + 90 * DAY, "Europe/Berlin", days, start_time, hours * 3_600_000)
    now = T0 + offset
    expected = T0 <= now < T0 + 90 * DAY and Recurrence("Europe/Berlin", days, start_time, hours * 3_600_000).contains(now)
    assert s.contains(now) == expected
    nxt = s.next_start(now)
    assert nxt is None or (nxt > now and s.contains(nxt))
    if now < T0 + 83 * DAY:
        assert s.state_at(now) is not WindowState.EXPIRED  # every chosen weekday comes round within a week


def test_once_states_and_muting():
    w = MaintenanceWindow(id="mw", tenant="t", name="db upgrade", matchers=(Matcher.of("service", "=", "db"),),
                          schedule=Schedule("once", T0, T0 + 3_600_000), comment="v15 -> v16", created_by="ann")
    assert w.state_at(T0 - 1) is WindowState.UPCOMING and w.state_at(T0) is WindowState.ACTIVE
    assert w.state_at(T0 + 3_600_000) is WindowState.EXPIRED
    assert w.mutes(LabelSet.of({"service": "db"}), T0 + 10) and not w.mutes(LabelSet.of({"service": "web"}), T0 + 10)
    assert not w.mutes(LabelSet.of({"service": "db"}), T0 + 3_600_000)


@pytest.mark.parametrize(("build", "field"), [
    (lambda: Schedule("yearly", T0, T0 + 1), "schedule.kind"),
    (lambda: Schedule("once", T0, T0), "schedule.ends_at_ms"),
    (lambda: Schedule("once", T0, T0 + 1, "Mars/Olympus"), "schedule.timezone"),
    (lambda: Schedule("weekly", T0, T0 + DAY, weekdays=frozenset(), start_time="22:00", duration_ms=1), "schedule.weekdays"),
    (lambda: Schedule("weekly", T0, T0 + DAY, weekdays=frozenset({1}), start_time="25:00", duration_ms=1),
     "schedule.start_time"),
    (lambda: Schedule("rrule", T0, T0 + DAY, start_time="22:00", duration_ms=1), "schedule.rrule"),
    (lambda: MaintenanceWindow(id="m", tenant="t", name="x", matchers=(Matcher.of("a", "=", "b"),),
                               schedule=Schedule("once", T0, T0 + 1), comment=" ", created_by="ann"), "comment"),
    (lambda: MaintenanceWindow(id="m", tenant="t", name="x", matchers=(Matcher.of("a", "=~", ".*"),),
                               schedule=Schedule("once", T0, T0 + 1), comment="why", created_by="ann"), "matchers"),
])
def test_invalid_windows_name_the_field(build, field):
    with pytest.raises(ValidationError) as err:
        build()
    assert err.value.field == field


def test_limits_are_the_silences():
    def one(schedule):
        return MaintenanceWindow(id="m", tenant="t", name="x", matchers=(Matcher.of("a", "=", "b"),),
                                 schedule=schedule, comment="why", created_by="ann")
    limits = SilenceLimits(max_duration_ms=DAY, max_window_ms=2 * 3_600_000, max_span_ms=30 * DAY)
    check_limits(one(Schedule("once", T0, T0 + DAY)), limits)
    with pytest.raises(LimitExceeded):
        check_limits(one(Schedule("once", T0, T0 + DAY + 1)), limits)
    with pytest.raises(LimitExceeded) as err:
        check_limits(one(Schedule("weekly", T0, T0 + DAY, "UTC", frozenset({1}), "22:00", 3 * 3_600_000)), limits)
    assert err.value.limit == "max_maintenance_window_s"
    with pytest.raises(LimitExceeded) as err:
        check_limits(one(Schedule("rrule", T0, T0 + 31 * DAY, "UTC", start_time="22:00", duration_ms=3_600_000,
                                  rrule=RRule.parse("FREQ=DAILY"))), limits)
    assert err.value.limit == "max_maintenance_span_s"
