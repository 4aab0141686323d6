"""A PromQL alerting rule's alerts (domain/alerts/alerting_rules.py), by property over
random evaluation histories: Prometheus' rules hold at every step (an alert fires only
after its condition held ``for``, resolves only after it was gone ``keep_firing_for``,
pending alerts that go away vanish without notice, ``ALERTS`` is exactly the pending
and firing alerts), and on worked examples."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

from domain.alerts.alerting_rules import AlertingRuleState, AlertLimitExceeded, RuleEvaluationError
from domain.alerts.recording_rules import recorded_series
from domain.alerts.rule_groups import AlertingRule, RecordingRule
from domain.alerts.state import AlertState, check_invariants

STEP = 15_000
INSTANCES = ("a", "b", "c")


def result(active: set[str]) -> list[tuple[dict[str, str], float]]:
    return [({"__name__": "up", "instance": i}, 0.0) for i in sorted(active)]


@settings(max_examples=200)
@given(for_steps=st.integers(0, 4), keep_steps=st.integers(0, 4),
       history=st.lists(st.sets(st.sampled_from(INSTANCES)), min_size=1, max_size=25))
def test_alerts_follow_prometheus_rules_over_any_history(for_steps: int, keep_steps: int, history: list[set[str]]) -> None:
    rule = AlertingRule("Down", "up == 0", for_ms=for_steps * STEP, keep_firing_for_ms=keep_steps * STEP)
    state = AlertingRuleState("t", "r", rule)
    since: dict[str, int] = {}  # instance -> first step of its current run in the result
    gone: dict[str, int] = {}  # instance -> first step it was absent (after being present)
    for step, active in enumerate(history):
        ts = step * STEP
        for i in INSTANCES:
            if i in active:
                since.setdefault(i, step)
                gone.pop(i, None)
            else:
                if i in since:
                    gone.setdefault(i, step)
                since.pop(i, None)
        out = state.evaluate(result(active), ts)
        by_instance = {a.labels.get("instance"): a for a in state.active.values()}
        for alert in state.active.values():
            check_invariants(alert)
            assert alert.labels.get("alertname") == "Down" and "__name__" not in alert.labels.as_dict()
        for i in INSTANCES:
            alert = by_instance.get(i)
            if i in active:
                held = (step - since[i]) * STEP
                assert alert is not None
                expected = AlertState.FIRING if held >= rule.for_ms or alert.fired_at_ms is not None else AlertState.PENDING
                if alert.state is AlertState.FIRING:
                    assert alert.fired_at_ms - alert.active_at_ms >= rule.for_ms
                else:
                    assert alert.state is expected
            elif alert is not None and alert.state is AlertState.FIRING:
                assert (step - gone[i]) * STEP < rule.keep_firing_for_ms  # kept firing, within keep_firing_for
            elif alert is not None:
                assert alert.state is AlertState.RESOLVED
        alerts_series = {(dict(labels)["instance"], dict(labels)["alertstate"]) for name, labels, _ in out.series
                         if name == "ALERTS"}
        assert alerts_series == {(i, a.state.value) for i, a in by_instance.items()
                                 if a.state in (AlertState.PENDING, AlertState.FIRING)}
        for tr, _ in out.transitions:
            assert tr.at_ms == ts


def test_label_templates_see_the_series_and_an_empty_label_removes_it() -> None:
    rule = AlertingRule("High", "x > 1", labels=(("where", "{{ $labels.instance }}/{{ $value }}"), ("job", "")))
    state = AlertingRuleState("t", "r", rule)
    state.evaluate([({"__name__": "x", "instance": "i", "job": "api"}, 2.5)], 0)
    (alert,) = state.active.values()
    assert alert.labels.as_dict() == {"alertname": "High", "instance": "i", "where": "i/2.5"}


def test_two_series_giving_one_label_set_is_an_error_and_changes_nothing() -> None:
    state = AlertingRuleState("t", "r", AlertingRule("A", "up", labels=(("instance", "x"),)))
    with pytest.raises(RuleEvaluationError, match="same labelset after applying alert labels"):
        state.evaluate(result({"a", "b"}), 0)
    assert state.active == {}


def test_over_the_limit_every_alert_ends() -> None:
    state = AlertingRuleState("t", "r", AlertingRule("A", "up == 0"))
    state.evaluate(result({"a"}), 0)
    with pytest.raises(AlertLimitExceeded, match="exceeded limit of 1 with 2 alerts") as err:
        state.evaluate(result({"a", "b"}), STEP, limit=1)
    assert [(t.from_state, t.to_state) for t, _ in err.value.output.transitions] == [
        (AlertState.FIRING, AlertState.RESOLVED)]
    assert state.active == {}


def test_alerts_for_state_is_the_second_the_alert_became_active() -> None:
    state = AlertingRuleState("t", "r", AlertingRule("A", "up == 0", for_ms=10 * STEP))
    state.evaluate(result({"a"}), 1_700_000_000_123)
    out = state.evaluate(result({"a"}), 1_700_000_015_123)
    values = {name: value for name, _, value in out.series}
    assert values == {"ALERTS": 1.0, "ALERTS_FOR_STATE": 1_700_000_000.0}


def test_recording_rules_rename_relabel_and_refuse_collisions_and_excess() -> None:
    rule = RecordingRule("job:up", "up", (("job", "all"), ("instance", "")))
    series = recorded_series(RecordingRule("r", "up", (("env", "prod"),)), result({"a", "b"}))
    assert series == [((("env", "prod"), ("instance", "a")), 0.0), ((("env", "prod"), ("instance", "b")), 0.0)]
    with pytest.raises(RuleEvaluationError, match="same labelset after applying rule labels"):
        recorded_series(rule, result({"a", "b"}))
    with pytest.raises(RuleEvaluationError, match="exceeded limit 1 with 2 series"):
        recorded_series(RecordingRule("r", "up"), result({"a", "b"}), limit=1)
