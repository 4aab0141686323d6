"""Policy and schedule documents: parsed whole or refused with the field's path; what
``*_document`` writes parses back to the same value; now-and-next and per-person shifts."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import ValidationError
from domain.incidents.oncall import Layer, Rotation, Schedule
from domain.incidents.oncall_documents import (
    parse_override,
    parse_policy,
    parse_schedule,
    policy_document,
    schedule_document,
)

HOUR = 3_600_000
DAY = 24 * HOUR


def local(tz, y, mo, d, h=0, mi=0) -> int:
    return int(datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(tz)).timestamp() * 1000)


def utc(y, mo, d, h=0, mi=0) -> int:
    return int(datetime(y, mo, d, h, mi, tzinfo=timezone.utc).timestamp() * 1000)


POLICY = {"id": "web", "name": "Web", "severities": ["sev1", "critical"], "repeat": 1,
          "levels": [{"timeout_ms": 900_000, "targets": [{"kind": "schedule", "ref": "primary"}]},
                     {"timeout_ms": 600_000, "targets": [{"kind": "user", "ref": "ada"}]}]}
SCHEDULE = {"id": "primary", "name": "Primary", "timezone": "Europe/Berlin",
            "layers": [{"name": "main", "rotation": {"users": ["ada", "bob"], "start_ms": 0, "handoff_time": "09:00",
                                                     "timezone": "Europe/Berlin", "length": "weekly"},
                        "restrictions": [{"start_day": 0, "start_time": "08:00", "end_day": 4, "end_time": "18:00"}]}],
            "overrides": [{"id": "o1", "user": "cy", "start_ms": 10, "end_ms": 20}]}


def test_a_policy_parses_and_normalizes_severities():
    doc = parse_policy("acme", POLICY)
    assert doc.severities == ("SEV1",)  # sev1 and critical are one severity
    assert doc.applies_to("SEV1") and not doc.applies_to("SEV3")
    assert doc.policy.tenant == "acme" and len(doc.policy.levels) == 2
    assert policy_document(parse_policy("acme", policy_document(doc))) == policy_document(doc)


def test_a_policy_without_severities_is_a_catch_all():
    doc = parse_policy("acme", {**POLICY, "severities": []})
    assert doc.applies_to("SEV4")


@pytest.mark.parametrize(("change", "field"), [
    ({"id": "no spaces"}, "id"),
    ({"levels": []}, "levels"),
    ({"levels": "x"}, "levels"),
    ({"levels": [{"timeout_ms": 0, "targets": [{"kind": "user", "ref": "a"}]}]}, "levels[0].timeout_ms"),
    ({"levels": [{"timeout_ms": 1, "targets": [{"kind": "pager", "ref": "a"}]}]}, "levels[0].targets[0].kind"),
    ({"levels": [{"timeout_ms": 1, "targets": [{"kind": "user", "ref": ""}]}]}, "levels[0].targets[0].ref"),
    ({"levels": [{"timeout_ms": 1, "targets": []}]}, "levels[0].targets"),
    ({"levels": [{"timeout_ms": 1, "targets": [{"kind": "user", "ref": "a", "x": 1}]}]}, "levels[0].targets[0].x"),
    ({"repeat": -1}, "repeat"),
    ({"severities": ["SEV9"]}, "severities[0]"),
    ({"colour": "red"}, "colour"),
])
def test_a_bad_policy_is_refused_naming_the_field(change, field):
    with pytest.raises(ValidationError) as e:
        parse_policy("acme", {**POLICY, **change})
    assert e.value.field == field


def test_a_schedule_parses_and_writes_back_the_same():
    doc = parse_schedule("acme", SCHEDULE)
    assert doc.override_ids == ("o1",)
    assert doc.schedule.layers[0].restrictions[0].end_day == 4
    assert schedule_document(doc) == {**SCHEDULE, "description": ""}


@pytest.mark.parametrize(("layer", "field"), [
    ({"name": "m", "rotation": {"users": [], "start_ms": 0}}, "layers[0].rotation.users"),
    ({"name": "m", "rotation": {"users": ["a", ""], "start_ms": 0}}, "layers[0].rotation.users[1]"),
    ({"name": "m", "rotation": {"users": ["a"], "start_ms": "now"}}, "layers[0].rotation.start_ms"),
    ({"name": "m", "rotation": {"users": ["a"], "start_ms": 0, "handoff_time": "25:00"}}, "layers[0].rotation.handoff_time"),
    ({"name": "m", "rotation": {"users": ["a"], "start_ms": 0, "timezone": "Mars/Base"}}, "layers[0].rotation.timezone"),
    ({"name": "m", "rotation": {"users": ["a"], "start_ms": 0, "length": "monthly"}}, "layers[0].rotation.length"),
    ({"name": "", "rotation": {"users": ["a"], "start_ms": 0}}, "layers[0].name"),
    ({"name": "m", "rotation": {"users": ["a"], "start_ms": 0},
      "restrictions": [{"start_day": 9, "start_time": "08:00", "end_day": 0, "end_time": "09:00"}]},
     "layers[0].restrictions[0].start_day"),
])
def test_a_bad_layer_is_refused_naming_the_field(layer, field):
    with pytest.raises(ValidationError) as e:
        parse_schedule("acme", {**SCHEDULE, "layers": [layer]})
    assert e.value.field == field


def test_overrides_need_an_end_after_the_start_and_unique_ids():
    with pytest.raises(ValidationError) as e:
        parse_schedule("acme", {**SCHEDULE, "overrides": [{"user": "a", "start_ms": 5, "end_ms": 5}]})
    assert e.value.field == "overrides[0].end_ms"
    twice = [{"id": "x", "user": "a", "start_ms": 1, "end_ms": 2}] * 2
    with pytest.raises(ValidationError) as e:
        parse_schedule("acme", {**SCHEDULE, "overrides": twice})
    assert e.value.field == "overrides[1].id"
    with pytest.raises(ValidationError) as e:
        parse_override({"user": "", "start_ms": 1, "end_ms": 2})
    assert e.value.field == "user"


def test_overrides_are_added_and_removed_by_id():
    doc = parse_schedule("acme", SCHEDULE)
    _, extra = parse_override({"user": "dee", "start_ms": 100, "end_ms": 200})
    more = doc.with_override("o2", extra)
    assert more.schedule.on_call_at(150) == "dee"
    with pytest.raises(ValidationError):
        more.with_override("o2", extra)
    assert more.without_override("o2") == doc
    assert doc.without_override("nope") is None


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5), st.floats(allow_nan=False))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)), max_leaves=12)


@settings(max_examples=200)
@given(st.one_of(json_values, st.fixed_dictionaries({}, optional={
    "id": json_values, "levels": json_values, "repeat": json_values, "severities": json_values,
    "layers": json_values, "overrides": json_values, "timezone": json_values, "name": json_values})))
def test_any_json_either_parses_or_is_refused_with_a_validation_error(value):
    for parse in (parse_policy, parse_schedule):
        try:
            parse("acme", value)
        except ValidationError:
            pass


users = st.lists(st.sampled_from(["ada", "bob", "cy", "dee"]), min_size=1, max_size=4)


@settings(max_examples=50, deadline=None)
@given(users, st.integers(0, 40 * 365) .map(lambda d: d * DAY), st.sampled_from(["daily", "weekly", 3]),
       st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]),
       st.integers(0, 60 * DAY))
def test_a_written_schedule_parses_back_to_the_same_value(people, start, length, tz, offset):
    doc = {"id": "s", "name": "S", "timezone": tz, "layers": [
        {"name": "l", "rotation": {"users": people, "start_ms": start, "handoff_time": "02:30", "timezone": tz,
                                   "length": length}}], "overrides": []}
    parsed = parse_schedule("acme", doc)
    again = parse_schedule("acme", schedule_document(parsed))
    assert again.schedule == parsed.schedule
    assert again.schedule.on_call_at(start + offset) == parsed.schedule.on_call_at(start + offset)


# ------------------------------------------------------------- now and next


def berlin_daily(users=("ada", "bob", "cy")) -> Schedule:
    start = local("Europe/Berlin", 2027, 3, 20, 9)
    return Schedule("s", "acme", "S", "Europe/Berlin",
                    (Layer("l", Rotation(users, start, "09:00", "Europe/Berlin", "daily")),))


def test_now_and_next_across_the_spring_change_in_berlin():
    s = berlin_daily()
    at = utc(2027, 3, 28, 6)  # Sunday 08:00 CEST, the morning after the change
    current, nxt = s.now_and_next(at)
    assert current.start_ms == utc(2027, 3, 27, 8)  # Saturday 09:00 CET
    assert current.end_ms == utc(2027, 3, 28, 7)  # Sunday 09:00 CEST: a 23-hour shift
    assert nxt is not None and nxt.start_ms == current.end_ms and nxt.end_ms == utc(2027, 3, 29, 7)
    assert nxt.user != current.user


def test_a_one_person_schedule_has_no_next_shift():
    current, nxt = berlin_daily(("ada",)).now_and_next(utc(2027, 4, 1), horizon_ms=10 * DAY)
    assert current.user == "ada" and nxt is None and current.end_ms == utc(2027, 4, 1) + 10 * DAY


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 400 * DAY), users)
def test_now_and_next_agree_with_the_rendered_schedule(offset, people):
    s = berlin_daily(tuple(people))
    at = local("Europe/Berlin", 2027, 3, 20, 9) + 15 * DAY + offset
    current, nxt = s.now_and_next(at)
    assert current.start_ms <= at < current.end_ms
    assert s.on_call_at(current.start_ms) == current.user == s.on_call_at(current.end_ms - 1)
    if nxt is not None:
        assert nxt.start_ms == current.end_ms and nxt.user != current.user
        assert s.on_call_at(nxt.start_ms) == nxt.user


def test_shifts_of_a_person_are_theirs_only():
    s = berlin_daily()
    start = utc(2027, 3, 21)
    mine = s.shifts_of(frozenset({"bob"}), start, start + 9 * DAY)
    assert mine and all(x.user == "bob" for x in mine)
    assert len(mine) == 3


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 400 * DAY), st.integers(1, 20 * DAY), users,
       st.lists(st.tuples(st.integers(0, 20 * DAY), st.integers(1, 2 * DAY), st.sampled_from(["ada", "zed"])),
                max_size=3))
def test_handoffs_are_exactly_the_changes_of_who_is_on_call(offset, length, people, overrides):
    from domain.incidents.oncall import Override

    base = berlin_daily(tuple(people))
    start = local("Europe/Berlin", 2027, 3, 20, 9) + offset
    s = Schedule(base.id, base.tenant, base.name, base.timezone, base.layers,
                 tuple(Override(u, start + a, start + a + d) for a, d, u in overrides))
    found = s.handoffs(start, start + length)
    for h in found:
        assert start <= h.at_ms < start + length
        assert s.on_call_at(h.at_ms - 1) == h.outgoing != h.incoming == s.on_call_at(h.at_ms)
    # Between two handoffs nobody changes: the rendered shifts start exactly there.
    shifts = s.final_schedule(start, start + length)
    assert [x.start_ms for x in shifts[1:]] == [h.at_ms for h in found if h.at_ms > start]


def test_the_spring_change_moves_the_utc_instant_of_a_handoff():
    s = berlin_daily()
    found = s.handoffs(utc(2027, 3, 27), utc(2027, 3, 29))
    assert [h.at_ms for h in found] == [utc(2027, 3, 27, 8), utc(2027, 3, 28, 7)]  # 09:00 CET, then 09:00 CEST


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 200 * DAY), users, st.sampled_from(["daily", "weekly", 2]),
       st.lists(st.tuples(st.integers(0, 6), st.sampled_from(["08:00", "02:30", "18:00"]), st.integers(0, 6),
                          st.sampled_from(["17:00", "03:00", "09:30"])), max_size=2),
       st.lists(st.tuples(st.integers(-10 * DAY, 10 * DAY), st.integers(1, 3 * DAY), st.sampled_from(["ada", "zed"])),
                max_size=3))
def test_the_current_shift_starts_where_the_rendered_schedule_says(offset, people, length, windows, overrides):
    from domain.incidents.oncall import Override, Restriction

    start = local("Europe/Berlin", 2027, 1, 4, 9)
    restrictions = tuple(Restriction(a, b, c, d) for a, b, c, d in windows if (a, b) != (c, d))
    night = Layer("n", Rotation(("nn", "mm"), start, "18:00", "America/New_York", 3), restrictions)
    day = Layer("d", Rotation(tuple(people), start, "09:00", "Europe/Berlin", length))
    at = start + 20 * DAY + offset
    s = Schedule("s", "acme", "S", "Europe/Berlin", (day, night),
                 tuple(Override(u, at + a, at + a + d) for a, d, u in overrides))
    horizon = 30 * DAY
    current, nxt = s.now_and_next(at, horizon)
    rendered = s.final_schedule(at - horizon, at + 1)[-1]
    assert (current.user, current.start_ms) == (rendered.user, rendered.start_ms)
    if nxt is not None:
        assert current.end_ms == nxt.start_ms == s.next_handoff_after(at, horizon)
