"""Escalation plans: a pure step function the incident workflow can replay."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import ValidationError
from domain.incidents.escalation import EscalationLevel, EscalationPolicy, EscalationStep, Target

MIN = 60_000


def policy(timeouts=(5, 10, 15), repeat=0) -> EscalationPolicy:
    levels = tuple(EscalationLevel((Target.user(f"u{i}"), Target.schedule("primary")), t * MIN)
                   for i, t in enumerate(timeouts))
    return EscalationPolicy("ep-1", "acme", "Default", levels, repeat)


def test_plan_single_pass():
    p = policy(repeat=0)
    assert p.total_steps == 3
    assert p.plan() == (EscalationStep(0, 0), EscalationStep(1, 0), EscalationStep(2, 0))
    assert p.step_at(3) is None


def test_plan_with_repeats():
    p = policy(timeouts=(5, 10), repeat=2)
    assert p.total_steps == 6
    assert [tuple(s) for s in p.plan()] == [(0, 0), (1, 0), (0, 1), (1, 1), (0, 2), (1, 2)]
    level_index, cycle = p.step_at(3)
    assert (level_index, cycle) == (1, 1)
    assert p.step_at(6) is None and p.targets_at(6) == ()
    assert p.targets_at(2) == (Target("user", "u0"), Target("schedule", "primary"))


def test_deadlines_and_offsets():
    p = policy(timeouts=(5, 10, 15), repeat=1)
    assert p.deadline_after(0, 1_000) == 1_000 + 5 * MIN
    assert p.deadline_after(2, 0) == 15 * MIN
    assert [p.offset_ms(n) // MIN for n in range(p.total_steps + 1)] == [0, 5, 15, 30, 35, 45, 60]
    with pytest.raises(ValidationError) as e:
        p.deadline_after(3, 0)
    assert e.value.field == "level_index"


@pytest.mark.parametrize("make,field", [
    (lambda: Target("pager", "x"), "kind"),
    (lambda: Target.user(""), "ref"),
    (lambda: EscalationLevel((), MIN), "targets"),
    (lambda: EscalationLevel((Target.user("a"),), 0), "timeout_ms"),
    (lambda: EscalationLevel((Target.user("a"),), 1.5), "timeout_ms"),
    (lambda: EscalationPolicy("e", "t", "n", (), 0), "levels"),
    (lambda: policy(repeat=-1), "repeat"),
    (lambda: policy(repeat=101), "repeat"),
    (lambda: policy().step_at(-1), "step"),
])
def test_validation(make, field):
    with pytest.raises(ValidationError) as e:
        make()
    assert e.value.field == field


def test_levels_given_as_lists_become_tuples():
    p = EscalationPolicy("e", "t", "n", [EscalationLevel([Target.user("a")], MIN)])
    assert isinstance(p.levels, tuple) and isinstance(p.levels[0].targets, tuple)
    assert hash(p) == hash(EscalationPolicy("e", "t", "n", (EscalationLevel((Target.user("a"),), MIN),)))


@given(st.lists(st.integers(1, 10**7), min_size=1, max_size=6), st.integers(0, 5))
def test_plan_is_the_step_function(timeouts, repeat):
    levels = tuple(EscalationLevel((Target.user("u"),), t) for t in timeouts)
    p = EscalationPolicy("e", "t", "n", levels, repeat)
    plan = p.plan()
    assert len(plan) == p.total_steps == len(levels) * (repeat + 1)
    assert all(p.step_at(n) == step for n, step in enumerate(plan))
    assert p.step_at(p.total_steps) is None
    for n, step in enumerate(plan):  # the next step fires when the current one times out
        assert p.offset_ms(n + 1) == p.deadline_after(step.level_index, p.offset_ms(n))
