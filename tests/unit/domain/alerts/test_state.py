"""The alert state machine: hand-worked Prometheus timelines plus a hypothesis state
machine mixing evaluations and explicit events, which must never reach an illegal state."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from domain.alerts.rules import RuleResult
from domain.alerts.state import TRANSITIONS, Alert, AlertState, AlertTransition, check_invariants
from domain.errors import InvalidTransition, ValidationError
from domain.metrics.labels import LabelSet

LABELS = LabelSet.of({"alertname": "HighCpu", "instance": "a:1"})
ON = RuleResult(True, 0.95)
OFF = RuleResult(False, 0.2)
S = AlertState


def new_alert() -> Alert:
    return Alert.new("t1", "r1", LABELS, {"summary": "hot"})


def snapshot(alert: Alert) -> tuple:
    return tuple(getattr(alert, f.name) for f in dataclasses.fields(alert))


def test_table_is_prometheus_shaped():
    assert S.INACTIVE not in TRANSITIONS[S.FIRING]  # a firing alert resolves, it never just vanishes
    assert S.RESOLVED not in TRANSITIONS[S.PENDING]  # a pending alert was never notified
    assert set(TRANSITIONS) == set(AlertState)


def test_pending_then_firing_after_for():
    a = new_alert()
    assert a.observe(ON, 1_000, for_ms=60_000) == AlertTransition(a.fingerprint, S.INACTIVE, S.PENDING, 1_000, LABELS, 0.95, "t1", "r1")
    assert a.active_at_ms == 1_000
    assert a.observe(ON, 60_999, for_ms=60_000) is None
    tr = a.observe(ON, 61_000, for_ms=60_000)
    assert tr is not None and (tr.from_state, tr.to_state) == (S.PENDING, S.FIRING)
    assert (a.active_at_ms, a.fired_at_ms) == (1_000, 61_000)
    tr = a.observe(OFF, 120_000, for_ms=60_000)
    assert tr is not None and tr.to_state is S.RESOLVED and a.resolved_at_ms == 120_000
    assert a.observe(OFF, 180_000, for_ms=60_000) is None and a.state is S.RESOLVED


def test_for_zero_fires_at_once():
    a = new_alert()
    tr = a.observe(ON, 5, for_ms=0)
    assert tr is not None and (tr.from_state, tr.to_state) == (S.INACTIVE, S.FIRING)
    assert a.active_at_ms == a.fired_at_ms == 5


def test_pending_that_goes_away_is_inactive_not_resolved():
    a = new_alert()
    a.observe(ON, 0, for_ms=60_000)
    tr = a.observe(OFF, 30_000, for_ms=60_000)
    assert tr is not None and tr.to_state is S.INACTIVE and a.active_at_ms is None


def test_resolved_alert_becomes_pending_again_with_fresh_times():
    a = new_alert()
    a.observe(ON, 0, for_ms=0)
    a.observe(OFF, 10, for_ms=0)
    a.observe(ON, 20, for_ms=5)
    assert a.state is S.PENDING and a.active_at_ms == 20 and a.fired_at_ms is None and a.resolved_at_ms is None


def test_keep_firing_for_holds_then_resolves():
    a = new_alert()
    a.observe(ON, 0, for_ms=0, keep_firing_for_ms=100)
    assert a.observe(OFF, 10, for_ms=0, keep_firing_for_ms=100) is None and a.state is S.FIRING
    assert a.observe(ON, 50, for_ms=0, keep_firing_for_ms=100) is None and a.keep_firing_since_ms is None
    assert a.observe(OFF, 60, for_ms=0, keep_firing_for_ms=100) is None
    assert a.observe(OFF, 159, for_ms=0, keep_firing_for_ms=100) is None
    tr = a.observe(OFF, 160, for_ms=0, keep_firing_for_ms=100)
    assert tr is not None and tr.to_state is S.RESOLVED and a.resolved_at_ms == 160


def test_value_tracks_active_evaluations():
    a = new_alert()
    a.observe(RuleResult(True, 1.0), 0, for_ms=0)
    a.observe(RuleResult(True, 2.0), 1, for_ms=0)
    assert a.value == 2.0


def test_replayed_older_evaluation_is_ignored():
    a = new_alert()
    a.observe(ON, 100, for_ms=0)
    before = snapshot(a)
    assert a.observe(OFF, 99, for_ms=0) is None
    assert snapshot(a) == before


def test_explicit_refusals_raise_and_change_nothing():
    a = new_alert()
    before = snapshot(a)
    for call in (lambda: a.resolve(1), lambda: a.to_inactive(1), lambda: a.to_firing(1, for_ms=10)):
        with pytest.raises(InvalidTransition):
            call()
        assert snapshot(a) == before
    a.to_pending(10)
    with pytest.raises(InvalidTransition):
        a.to_firing(15, for_ms=10)  # for has not elapsed
    with pytest.raises(ValidationError):
        a.to_inactive(5)  # time going backwards
    assert a.state is S.PENDING and a.active_at_ms == 10


def test_for_rule_builds_labels_and_fingerprint():
    from domain.alerts.fingerprint import fingerprint

    class FakeRule:
        tenant, id = "t9", "rx"

        def alert_labels(self, series):
            return series.merged({"alertname": "A"})

    a = Alert.for_rule(FakeRule(), LabelSet.of({"job": "x"}))  # type: ignore[arg-type]
    assert a.key == ("t9", "rx", fingerprint(LabelSet.of({"job": "x", "alertname": "A"})))
    assert a.state is S.INACTIVE and math.isnan(a.value)


# -- property: random sequences never reach an illegal state ----------------------------

# Durations hit the boundaries (exactly `for`, exactly keep_firing_for) often.
DT = st.one_of(st.sampled_from([0, 1, 999, 1_000, 29_999, 30_000, 60_000]), st.integers(0, 90_000))
EXPLICIT = {"to_pending": S.PENDING, "to_firing": S.FIRING, "to_inactive": S.INACTIVE, "resolve": S.RESOLVED}


class AlertMachine(RuleBasedStateMachine):
    @initialize(for_ms=st.sampled_from([0, 1, 1_000, 60_000]), kff=st.sampled_from([0, 1, 30_000]))
    def start(self, for_ms: int, kff: int) -> None:
        self.alert = new_alert()
        self.for_ms, self.kff = for_ms, kff
        self.now = 1_000_000

    @rule(dt=DT, active=st.booleans(), value=st.floats())
    def observe(self, dt: int, active: bool, value: float) -> None:
        self.now += dt
        a = self.alert
        before, active_at = a.state, a.active_at_ms
        tr = a.observe(RuleResult(active, value), self.now, self.for_ms, self.kff)
        if tr is None:
            assert a.state is before
        else:
            assert (tr.from_state, tr.to_state, tr.at_ms) == (before, a.state, self.now)
            assert tr.to_state in TRANSITIONS[before] and tr.fingerprint == a.fingerprint
        if active:
            assert a.state in (S.PENDING, S.FIRING)
            if before is S.PENDING and self.now - active_at >= self.for_ms:  # type: ignore[operator]
                assert a.state is S.FIRING
        elif a.state is S.FIRING:
            assert a.keep_firing_since_ms is not None and self.now - a.keep_firing_since_ms < self.kff
        else:
            assert a.state in (S.INACTIVE, S.RESOLVED)
        assert a.last_eval_ms == self.now

    @rule(dt=DT, event=st.sampled_from(sorted(EXPLICIT)))
    def explicit(self, dt: int, event: str) -> None:
        self.now += dt
        a = self.alert
        before, snap = a.state, snapshot(a)
        legal = EXPLICIT[event] in TRANSITIONS[before]
        if event == "to_firing":
            held = before is S.PENDING and self.now - a.active_at_ms >= self.for_ms  # type: ignore[operator]
            legal = legal and (held or (before is not S.PENDING and self.for_ms == 0))
        call = getattr(a, event)
        try:
            tr = call(self.now, for_ms=self.for_ms) if event == "to_firing" else call(self.now)
        except InvalidTransition:
            assert not legal, f"{event} refused from {before}"
            assert snapshot(a) == snap
        else:
            assert legal, f"{event} accepted from {before}"
            assert a.state is EXPLICIT[event] and (tr.from_state, tr.to_state) == (before, a.state)

    @rule(dt=DT)
    def withdraw(self, dt: int) -> None:
        """The rule was deleted or disabled: nothing stays pending or firing."""
        a = self.alert
        before, latest = a.state, a._latest_ms()
        tr = a.withdraw(self.now + dt)
        assert a.state in (S.INACTIVE, S.RESOLVED)
        if before in (S.PENDING, S.FIRING):
            assert tr is not None and (tr.from_state, tr.to_state) == (before, a.state)
            assert tr.at_ms == latest  # on the evaluator's timeline, so a late sample still counts
        else:
            assert tr is None and a.state is before

    @precondition(lambda self: self.alert._latest_ms() is not None)
    @rule(back=st.integers(1, 10_000), active=st.booleans())
    def replay_older(self, back: int, active: bool) -> None:
        snap = snapshot(self.alert)
        assert self.alert.observe(RuleResult(active, 1.0), self.alert._latest_ms() - back, self.for_ms, self.kff) is None
        assert snapshot(self.alert) == snap

    @invariant()
    def legal_state(self) -> None:
        a = self.alert
        check_invariants(a)
        if a.state in (S.FIRING, S.RESOLVED):
            assert a.fired_at_ms - a.active_at_ms >= self.for_ms  # type: ignore[operator]


TestAlertMachine = AlertMachine.TestCase
