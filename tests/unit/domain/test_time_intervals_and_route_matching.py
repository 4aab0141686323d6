"""Time intervals (domain/alerts/time_intervals.py) and route matching with them
(domain/alerts/routing.py), by property against plain reference definitions."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.alerts.routing import Route
from domain.alerts.time_intervals import MONTHS, WEEKDAYS, TimeInterval, TimeRange
from domain.errors import ValidationError
from domain.metrics.labels import LabelSet
from domain.metrics.matchers import Matcher

instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(timezone.utc))
zones = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"])


def ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


@st.composite
def ranges(draw) -> dict:
    doc: dict = {}
    if draw(st.booleans()):
        start = draw(st.integers(0, 24 * 60 - 1))
        end = draw(st.integers(start + 1, 24 * 60))
        doc["times"] = [{"start_time": f"{start // 60:02d}:{start % 60:02d}", "end_time": f"{end // 60:02d}:{end % 60:02d}"}]
    if draw(st.booleans()):
        a, b = sorted(draw(st.lists(st.integers(0, 6), min_size=2, max_size=2)))
        doc["weekdays"] = [f"{WEEKDAYS[a]}:{WEEKDAYS[b]}"]
    if draw(st.booleans()):
        if draw(st.booleans()):
            a, b = sorted(draw(st.lists(st.integers(1, 31), min_size=2, max_size=2)))
        else:
            a, b = sorted(draw(st.lists(st.integers(-31, -1), min_size=2, max_size=2)))
        doc["days_of_month"] = [f"{a}:{b}"]
    if draw(st.booleans()):
        a, b = sorted(draw(st.lists(st.integers(1, 12), min_size=2, max_size=2)))
        doc["months"] = [f"{MONTHS[a - 1]}:{b}"]
    if draw(st.booleans()):
        a = draw(st.integers(2019, 2036))
        doc["years"] = [f"{a}:{a + draw(st.integers(0, 3))}"]
    doc["location"] = draw(zones)
    return doc


def reference(doc: dict, at: datetime) -> bool:
    """The documented meaning, spelled out field by field."""
    t = at.astimezone(ZoneInfo(doc["location"]) if doc["location"] != "UTC" else timezone.utc)
    minute = t.hour * 60 + t.minute
    checks = []
    if "times" in doc:
        s, e = (int(x[:2]) * 60 + int(x[3:]) for x in (doc["times"][0]["start_time"], doc["times"][0]["end_time"]))
        checks.append(s <= minute < e)
    if "weekdays" in doc:
        a, b = (WEEKDAYS.index(x) for x in doc["weekdays"][0].split(":"))
        checks.append(a <= t.weekday() <= b)
    if "days_of_month" in doc:
        length = calendar.monthrange(t.year, t.month)[1]
        a, b = (int(x) for x in doc["days_of_month"][0].rsplit(":", 1) if x)
        if a < 0:
            a, b = length + 1 + a, length + 1 + b
        checks.append(max(a, 1) <= t.day <= min(b, length))
    if "months" in doc:
        a_name, b = doc["months"][0].split(":")
        checks.append(MONTHS.index(a_name) + 1 <= t.month <= int(b))
    if "years" in doc:
        a, b = (int(x) for x in doc["years"][0].split(":"))
        checks.append(a <= t.year <= b)
    return all(checks)


@settings(max_examples=300, deadline=None)
@given(ranges(), instants)
@example({"days_of_month": ["-31:-30"], "location": "UTC"}, datetime(2026, 2, 1, tzinfo=timezone.utc))
@example({"days_of_month": ["30:31"], "location": "UTC"}, datetime(2026, 2, 28, tzinfo=timezone.utc))
def test_a_range_holds_exactly_when_every_field_it_sets_matches(doc, at) -> None:
    interval = TimeInterval.from_dict({"name": "i", "time_intervals": [doc]})
    assert interval.contains(ms(at)) == reference(doc, at)
    assert TimeInterval.from_dict(interval.as_dict()) == interval  # as_dict round-trips


@settings(max_examples=100, deadline=None)
@given(st.lists(ranges(), max_size=3), instants)
def test_a_named_interval_holds_when_any_range_does(docs, at) -> None:
    interval = TimeInterval.from_dict({"name": "i", "time_intervals": docs})
    assert interval.contains(ms(at)) == any(reference(d, at) for d in docs)


def test_business_hours_across_a_dst_change_are_read_in_the_zone() -> None:
    hours = TimeInterval.from_dict({"name": "bh", "time_intervals": [
        {"times": [{"start_time": "09:00", "end_time": "17:00"}], "weekdays": ["monday:friday"], "location": "Europe/Berlin"}]})
    # 08:30 UTC is 09:30 in Berlin in winter (CET) and 10:30 in summer (CEST); 07:30 UTC is inside only in summer.
    assert hours.contains(ms(datetime(2026, 3, 27, 7, 30, tzinfo=timezone.utc))) is False  # Friday, CET: 08:30
    assert hours.contains(ms(datetime(2026, 3, 30, 7, 30, tzinfo=timezone.utc))) is True  # Monday, CEST: 09:30
    assert hours.contains(ms(datetime(2026, 3, 28, 10, 0, tzinfo=timezone.utc))) is False  # Saturday


@pytest.mark.parametrize(("doc", "field"), [
    ({"times": [{"start_time": "10:00", "end_time": "09:00"}]}, "time_intervals[0].times[0].end_time"),
    ({"times": [{"start_time": "25:00", "end_time": "26:00"}]}, "time_intervals[0].times[0].start_time"),
    ({"weekdays": ["1:5"]}, "time_intervals[0].weekdays[0]"),
    ({"days_of_month": ["0"]}, "time_intervals[0].days_of_month[0]"),
    ({"days_of_month": ["-3:5"]}, "time_intervals[0].days_of_month[0]"),
    ({"months": ["smarch"]}, "time_intervals[0].months[0]"),
    ({"years": ["2030:2020"]}, "time_intervals[0].years[0]"),
    ({"location": "Local"}, "time_intervals[0].location"),
    ({"hours": ["1"]}, "time_intervals[0].hours"),
])
def test_errors_name_the_field(doc, field) -> None:
    with pytest.raises(ValidationError) as err:
        TimeInterval.from_dict({"name": "x", "time_intervals": [doc]})
    assert err.value.field == field


# -- route matching ---------------------------------------------------------------------

LABEL_NAMES = ("service", "severity", "team")
LABEL_VALUES = ("a", "b", "c")


@st.composite
def trees(draw, depth: int = 0, path: str = "root") -> Route:
    children = draw(st.lists(st.just(None), max_size=3 if depth < 2 else 0))
    return Route(
        id=path,
        receiver=f"r-{path}" if depth == 0 or draw(st.booleans()) else None,
        matchers=() if depth == 0 else tuple(
            Matcher.of(draw(st.sampled_from(LABEL_NAMES)), draw(st.sampled_from(["=", "!="])), draw(st.sampled_from(LABEL_VALUES)))
            for _ in range(draw(st.integers(0, 2)))),
        continue_=depth > 0 and draw(st.booleans()),
        routes=tuple(draw(trees(depth + 1, f"{path}/{i}")) for i in range(len(children))),
    )


def reference_match(node: Route, labels: dict, receiver: str | None) -> list[tuple[str, str]]:
    """Alertmanager's walk, written plainly: (route id, inherited receiver) of every match."""
    ok = all((labels.get(m.name, "") == m.value) == (m.op == "=") for m in node.matchers)
    if not ok:
        return []
    receiver = node.receiver or receiver
    found: list[tuple[str, str]] = []
    for child in node.routes:
        got = reference_match(child, labels, receiver)
        found += got
        if got and not child.continue_:
            break
    return found or [(node.id, receiver)]


@settings(max_examples=300, deadline=None)
@given(trees(), st.dictionaries(st.sampled_from(LABEL_NAMES), st.sampled_from(LABEL_VALUES)))
def test_routing_is_alertmanagers_depth_first_walk(tree, labels) -> None:
    got = tree.match(LabelSet.of(labels))
    assert [(r.route_id, r.receiver) for r in got] == reference_match(tree, labels, None)
    assert all(r.path[-1] == r.route_id and r.path[0] == "root" for r in got)


def test_a_route_is_muted_inside_a_mute_interval_and_outside_every_active_one() -> None:
    nights = TimeInterval.from_dict({"name": "nights", "time_intervals": [{"times": [{"start_time": "22:00", "end_time": "24:00"}]}]})
    days = TimeInterval(name="days", ranges=(TimeRange.from_dict({"times": [{"start_time": "08:00", "end_time": "18:00"}]}, "x"),))
    tree = Route("root", "ops", routes=(Route("db", "dba", (Matcher.of("team", "=", "db"),), mute_time_intervals=(nights,),
                                              active_time_intervals=(days,)),))
    [route] = tree.match(LabelSet.of({"team": "db"}))
    day = datetime(2026, 6, 1, tzinfo=timezone.utc)
    assert route.muted_at(ms(day + timedelta(hours=12))) is None
    assert "outside its active" in route.muted_at(ms(day + timedelta(hours=20)))
    assert "mute time interval 'nights'" in route.muted_at(ms(day + timedelta(hours=23)))
    with pytest.raises(ValidationError):
        Route("root", "ops", mute_time_intervals=(nights,)).match(LabelSet.of({}))
