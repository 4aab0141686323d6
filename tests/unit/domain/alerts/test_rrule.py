"""The RRULE subset of maintenance windows against dateutil's reference implementation,
and the parser: every text is either understood or refused naming the field."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from dateutil import rrule as du
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.alerts.rrule import DAYS, RRule
from domain.errors import ValidationError

WEEKDAYS = [du.MO, du.TU, du.WE, du.TH, du.FR, du.SA, du.SU]


@st.composite
def rules(draw) -> str:
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"]))
    parts = [f"FREQ={freq}"]
    if draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.integers(1, 4))}")
    # BYDAY or BYMONTHDAY (both at once can match no date at all: the reference then
    # searches to the year 9999, which is slow, and ours stops at its horizon).
    by_day = draw(st.booleans())
    if by_day:
        days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=3, unique=True))
        if freq == "MONTHLY" and draw(st.booleans()):
            days = [f"{draw(st.sampled_from([1, 2, -1]))}{d}" for d in days]
        parts.append("BYDAY=" + ",".join(days))
    elif freq != "WEEKLY" and draw(st.booleans()):
        parts.append("BYMONTHDAY=" + ",".join(str(d) for d in draw(
            st.lists(st.sampled_from([1, 15, 28, 30, 31, -1]), min_size=1, max_size=2, unique=True))))
    if draw(st.booleans()):
        parts.append(f"COUNT={draw(st.integers(1, 30))}")
    elif draw(st.booleans()):
        parts.append(f"UNTIL={draw(st.dates(datetime(2026, 1, 1).date(), datetime(2028, 1, 1).date())):%Y%m%d}")
    return ";".join(parts)


def _reference(text: str, dtstart: datetime) -> list[datetime]:
    return list(itertools.islice(du.rrulestr(text, dtstart=dtstart), 40))


@settings(max_examples=200, deadline=None)
@given(text=rules(), start=st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31)))
def test_occurrences_equal_dateutils(text, start):
    start = start.replace(second=0, microsecond=0)
    ours = list(itertools.islice(RRule.parse(text).occurrences(start), 40))
    assert ours == _reference(text, start)


@settings(max_examples=150, deadline=None)
@given(text=rules().filter(lambda t: "COUNT" not in t), start=st.datetimes(datetime(2026, 1, 1), datetime(2026, 6, 1)),
       skip_days=st.integers(0, 400))
def test_skipping_ahead_loses_no_occurrence(text, start, skip_days):
    start = start.replace(second=0, microsecond=0)
    after = start + timedelta(days=skip_days)
    rule = RRule.parse(text)
    from_skip = [o for o in itertools.islice(rule.occurrences(start, after=after), 60) if o >= after][:10]
    full = [o for o in itertools.islice(rule.occurrences(start), 5000) if o >= after][:10]
    assert from_skip == full


@given(st.text(max_size=60))
def test_any_text_is_understood_or_refused_naming_the_field(text):
    try:
        rule = RRule.parse(text, field="schedule.rrule")
    except ValidationError as exc:
        assert exc.field == "schedule.rrule"
    else:
        assert RRule.parse(str(rule)) == rule


@pytest.mark.parametrize("text", ["", "FREQ=YEARLY", "FREQ=WEEKLY;BYSETPOS=1", "FREQ=WEEKLY;BYDAY=1SU",
                                  "FREQ=DAILY;COUNT=3;UNTIL=20270101", "FREQ=DAILY;INTERVAL=0",
                                  "FREQ=MONTHLY;BYMONTHDAY=0", "FREQ=WEEKLY;WKST=SU", "FREQ=DAILY;FREQ=DAILY"])
def test_refused(text):
    """Unsupported parts are refused rather than read wrongly."""
    with pytest.raises(ValidationError):
        RRule.parse(text)


def test_a_rule_no_date_satisfies_ends_at_the_horizon():
    assert list(RRule.parse("FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=-1").occurrences(datetime(2026, 1, 1))) == []
