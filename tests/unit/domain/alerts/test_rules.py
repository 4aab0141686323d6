"""Rule validation, evaluation (NaN never fires) and annotation templates."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.alerts.fingerprint import fingerprint, group_fingerprint
from domain.alerts.rules import (
    AbsenceRule,
    AnomalyRule,
    Comparison,
    RuleResult,
    ThresholdRule,
    format_value,
    render_annotations,
    render_template,
)
from domain.errors import ValidationError
from domain.metrics.aggregations import Aggregation
from domain.metrics.labels import LabelSet
from domain.metrics.matchers import Matcher
from domain.metrics.query import Selector
from domain.metrics.samples import Sample

SEL = Selector("cpu_usage", (Matcher.of("job", "=", "api"),))


def threshold(**overrides) -> ThresholdRule:
    args = dict(
        id="r1",
        tenant="t1",
        name="HighCpu",
        selector=SEL,
        aggregation=Aggregation.AVG,
        window_ms=300_000,
        comparison=Comparison.GT,
        threshold=0.9,
    )
    args.update(overrides)
    return ThresholdRule(**args)


# -- Comparison -----------------------------------------------------------------------

@pytest.mark.parametrize(
    "op, value, threshold, expected",
    [
        (Comparison.GT, 2, 1, True), (Comparison.GT, 1, 1, False),
        (Comparison.GE, 1, 1, True), (Comparison.GE, 0, 1, False),
        (Comparison.LT, 0, 1, True), (Comparison.LT, 1, 1, False),
        (Comparison.LE, 1, 1, True), (Comparison.LE, 2, 1, False),
        (Comparison.EQ, 1, 1, True), (Comparison.EQ, 2, 1, False),
        (Comparison.NE, 2, 1, True), (Comparison.NE, 1, 1, False),
        (Comparison.GT, math.inf, 1e308, True), (Comparison.LT, -math.inf, -1e308, True),
    ],
)
def test_comparison_table(op, value, threshold, expected):
    assert op.holds(value, threshold) is expected


@given(st.sampled_from(list(Comparison)), st.floats(allow_nan=False))
def test_nan_never_holds_not_even_not_equal(op, threshold):
    assert not op.holds(math.nan, threshold)


def test_comparison_parses_from_its_symbol():
    assert Comparison(">=") is Comparison.GE


# -- ThresholdRule --------------------------------------------------------------------

def test_threshold_rule_evaluates_the_aggregate_of_the_window():
    rule = threshold()
    assert rule.evaluate([Sample(1, 0.95), Sample(2, 0.97)]) == RuleResult(True, pytest.approx(0.96))
    assert rule.evaluate([Sample(1, 0.5), Sample(2, 0.6)]).active is False


def test_empty_window_is_nan_and_never_active():
    result = threshold(comparison=Comparison.NE, threshold=0.0).evaluate([])
    assert math.isnan(result.value) and result.active is False


def test_nan_sample_makes_avg_nan_and_inactive():
    assert threshold().evaluate([Sample(1, 5.0), Sample(2, math.nan)]).active is False


def test_count_of_empty_window_is_zero_so_count_below_one_fires():
    rule = threshold(aggregation="count", comparison="<", threshold=1)
    assert rule.evaluate([]) == RuleResult(True, 0.0)
    assert rule.aggregation is Aggregation.COUNT and rule.comparison is Comparison.LT


def test_quantile_needs_q_and_only_quantile_takes_it():
    with pytest.raises(ValidationError) as err:
        threshold(aggregation=Aggregation.QUANTILE)
    assert err.value.field == "q"
    with pytest.raises(ValidationError):
        threshold(aggregation=Aggregation.QUANTILE, q=1.5)
    with pytest.raises(ValidationError):
        threshold(q=0.5)
    rule = threshold(aggregation=Aggregation.QUANTILE, q=0.5, comparison=Comparison.GE, threshold=2)
    assert rule.evaluate([Sample(i, float(i)) for i in range(5)]) == RuleResult(True, 2.0)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"for_ms": -1}, "for_ms"),
        ({"for_ms": 1.5}, "for_ms"),
        ({"keep_firing_for_ms": -5}, "keep_firing_for_ms"),
        ({"name": "bad name"}, "name"),
        ({"name": "1starts_with_digit"}, "name"),
        ({"id": ""}, "id"),
        ({"tenant": ""}, "tenant"),
        ({"window_ms": 0}, "window_ms"),
        ({"threshold": math.nan}, "threshold"),
        ({"aggregation": "median"}, "aggregation"),
        ({"comparison": "=<"}, "comparison"),
        ({"labels": {"alertname": "Other"}}, "labels.alertname"),
        ({"annotations": {"bad key": "x"}}, "annotations.bad key"),
    ],
)
def test_rule_validation_names_the_field(overrides, field):
    with pytest.raises(ValidationError) as err:
        threshold(**overrides)
    assert err.value.field == field


def test_rule_accepts_mappings_and_selector_text():
    rule = threshold(labels={"severity": "page"}, annotations={"summary": "s"}, selector='cpu_usage{job="api"}')
    assert rule.labels == LabelSet.of({"severity": "page"})
    assert rule.annotations == (("summary", "s"),)
    assert rule.selector.metric == "cpu_usage"


def test_alert_labels_rule_labels_override_series_and_alertname_is_added():
    rule = threshold(labels={"severity": "page", "job": "override"})
    labels = rule.alert_labels(LabelSet.of({"job": "api", "instance": "a:1"}))
    assert labels.as_dict() == {"alertname": "HighCpu", "severity": "page", "job": "override", "instance": "a:1"}


def test_rules_are_frozen():
    rule = threshold()
    with pytest.raises(AttributeError):
        rule.threshold = 1.0  # type: ignore[misc]


# -- AbsenceRule ----------------------------------------------------------------------

def absence(**overrides) -> AbsenceRule:
    args = dict(id="r2", tenant="t1", name="NoHeartbeat", selector=SEL, absent_for_ms=60_000)
    args.update(overrides)
    return AbsenceRule(**args)


def test_absence_counts_from_last_seen():
    rule = absence()
    assert rule.evaluate(1_000, 60_999) == RuleResult(False, 59_999.0)
    assert rule.evaluate(1_000, 61_000) == RuleResult(True, 60_000.0)


def test_never_seen_series_counts_from_since_ms():
    rule = absence()
    assert rule.evaluate(None, 50_000, since_ms=0).active is False
    assert rule.evaluate(None, 60_000, since_ms=0).active is True
    with pytest.raises(ValidationError):
        rule.evaluate(None, 60_000)


def test_absent_labels_come_from_equality_matchers():
    rule = absence(selector=Selector("up", (Matcher.of("job", "=", "api"), Matcher.of("env", "=~", "prod"))))
    assert rule.absent_labels() == LabelSet.of({"job": "api"})


def test_absence_needs_a_positive_duration():
    with pytest.raises(ValidationError):
        absence(absent_for_ms=0)


# -- AnomalyRule ----------------------------------------------------------------------

def test_anomaly_rule_fires_at_level_and_not_on_nan():
    rule = AnomalyRule(id="r3", tenant="t1", name="Odd", selector=SEL, detector="ewma", level=0.8)
    assert rule.evaluate(0.8) == RuleResult(True, 0.8)
    assert rule.evaluate(0.79).active is False
    assert rule.evaluate(math.nan).active is False


@pytest.mark.parametrize("level", [0, -0.1, 1.01, math.nan])
def test_anomaly_level_must_be_in_zero_one(level):
    with pytest.raises(ValidationError) as err:
        AnomalyRule(id="r3", tenant="t1", name="Odd", selector=SEL, detector="ewma", level=level)
    assert err.value.field == "level"


# -- templates ------------------------------------------------------------------------

def test_render_annotations_substitutes_labels_and_value():
    rule = threshold(annotations={
        "summary": "CPU on {{ $labels.instance }} is {{ $value }}",
        "tight": "{{$labels.job}}/{{$value}}",
        "missing": "[{{ $labels.nope }}]",
    })
    out = render_annotations(rule, LabelSet.of({"instance": "a:1", "job": "api"}), 0.93)
    assert out == {"summary": "CPU on a:1 is 0.93", "tight": "api/0.93", "missing": "[]"}


def test_templates_evaluate_nothing_but_the_template_language():
    text = "{{ __import__('os').system('x') }}"
    assert render_template(text, LabelSet.of({"a": "1"}), 1.0).startswith("<error expanding template:")
    assert render_template("{{ .Labels }} {{ $value | humanize }}", LabelSet.of({"a": "1"}), 1500.0) == "map[a:1] 1.5k"
    assert "can't evaluate field b in type string" in render_template("{{ $labels.a.b }}", LabelSet.of({"a": "1"}), 1.0)


@pytest.mark.parametrize(
    "value, text", [(3.0, "3"), (0.5, "0.5"), (math.nan, "NaN"), (math.inf, "+Inf"), (-math.inf, "-Inf"), (1e20, "1e+20")]
)
def test_format_value(value, text):
    assert format_value(value) == text


# -- fingerprints ---------------------------------------------------------------------

def test_fingerprint_is_16_hex_stable_and_order_independent():
    a = LabelSet.of({"alertname": "X", "job": "api"})
    b = LabelSet.of([("job", "api"), ("alertname", "X")])
    assert fingerprint(a) == fingerprint(b)
    assert len(fingerprint(a)) == 16 and int(fingerprint(a), 16) >= 0
    # Pinned: fingerprints are stored and shared, so the algorithm must never drift.
    assert fingerprint(a) == "f9c7294a145d7a4a"
    assert fingerprint(a) != fingerprint(LabelSet.of({"alertname": "X", "job": "apj"}))


def test_group_fingerprint_depends_on_route():
    labels = LabelSet.of({"cluster": "a"})
    assert group_fingerprint("r1", labels) != group_fingerprint("r2", labels)
    assert len(group_fingerprint("r1", labels)) == 16


# -- the rule as a resource -------------------------------------------------------------


@pytest.mark.parametrize(("fields", "field"), [
    ({"group": ""}, "group"), ({"group": "   "}, "group"), ({"group": "a\nb"}, "group"), ({"group": "x" * 201}, "group"),
    ({"enabled": "yes"}, "enabled"), ({"version": 0}, "version"), ({"version": True}, "version"),
])
def test_resource_fields_are_validated_naming_the_field(fields, field):
    with pytest.raises(ValidationError) as err:
        threshold(**fields)
    assert err.value.field == field


def test_resource_fields_do_not_change_what_a_rule_evaluates():
    from dataclasses import replace

    from domain.alerts.rules import alerts_key, evaluation_key

    base = threshold()
    edited = replace(base, group="other", enabled=False, version=7, updated_by="me", updated_at_ms=5, for_ms=9,
                     annotations=(("summary", "x"),))
    assert evaluation_key(edited) == evaluation_key(base) and alerts_key(edited) == alerts_key(base)
    retuned = replace(base, threshold=base.threshold + 1)
    assert evaluation_key(retuned) != evaluation_key(base) and alerts_key(retuned) == alerts_key(base)
    relabelled = replace(base, labels=LabelSet.of({"severity": "page"}))
    assert alerts_key(relabelled) != alerts_key(base)


@given(st.text(min_size=1, max_size=250))
def test_any_group_name_is_accepted_or_refused_naming_the_group(name):
    try:
        rule = threshold(group=name)
    except ValidationError as exc:
        assert exc.field == "group"
    else:
        assert rule.group == name and name.strip() and len(name) <= 200
