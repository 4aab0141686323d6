"""Checks: every operator, missing evidence is ERROR, composites use Kleene logic."""

from __future__ import annotations

import math

import pytest

from domain.compliance import (
    MISSING,
    AllOf,
    AnyOf,
    CheckOperator as Op,
    CheckResult,
    EvaluationContext,
    FactCheck,
    MetricCheck,
    required_facts,
    required_metrics,
    resolve_fact,
)
from domain.errors import ValidationError
from domain.metrics.aggregations import Aggregation
from domain.metrics.query import Selector

NOW = 1_700_000_000_000


def ctx(facts=None, metrics=None, now=NOW):
    return EvaluationContext(facts or {}, metrics if metrics is not None else {}, now, "acme")


FACTS = {
    "tls": {"enabled": True, "min_version": "1.3", "ciphers": ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"]},
    "audit.retention_days": 120,
    "count": 0,
    "flag_one": 1,
    "name": "observer-eye-prod",
    "labels": {"env": "prod"},
    "nothing": None,
    "ratio": 0.5,
    "nan": math.nan,
}


@pytest.mark.parametrize(
    ("fact", "op", "expected", "passed"),
    [
        ("tls.enabled", Op.EQ, True, True),
        ("tls.enabled", Op.EQ, False, False),
        ("tls.enabled", Op.EQ, 1, False),  # JSON equality: true is not 1
        ("flag_one", Op.EQ, True, False),
        ("flag_one", Op.EQ, 1.0, True),
        ("nothing", Op.EQ, None, True),
        ("labels", Op.EQ, {"env": "prod"}, True),
        ("tls.ciphers", Op.EQ, ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"], True),
        ("tls.min_version", Op.NE, "1.2", True),
        ("tls.min_version", Op.NE, "1.3", False),
        ("audit.retention_days", Op.GT, 90, True),
        ("audit.retention_days", Op.GT, 120, False),
        ("audit.retention_days", Op.GE, 120, True),
        ("audit.retention_days", Op.GE, 121, False),
        ("ratio", Op.LT, 0.75, True),
        ("ratio", Op.LT, 0.5, False),
        ("ratio", Op.LE, 0.5, True),
        ("ratio", Op.LE, 0.25, False),
        ("tls.min_version", Op.IN, ["1.2", "1.3"], True),
        ("tls.min_version", Op.IN, ["1.0", "1.1"], False),
        ("count", Op.IN, [False, None], False),  # 0 is not false
        ("tls.min_version", Op.NOT_IN, ["1.0", "1.1"], True),
        ("tls.min_version", Op.NOT_IN, ["1.3"], False),
        ("tls.enabled", Op.EXISTS, True, True),
        ("nothing", Op.EXISTS, True, True),  # present with a null value
        ("tls.missing", Op.EXISTS, True, False),
        ("tls.missing", Op.EXISTS, False, True),
        ("tls.enabled", Op.EXISTS, False, False),
        ("name", Op.MATCHES, r"observer-eye-(prod|staging)", True),
        ("name", Op.MATCHES, r"observer", False),  # anchored: the whole string must match
        ("tls.ciphers", Op.CONTAINS, "TLS_AES_256_GCM_SHA384", True),
        ("tls.ciphers", Op.CONTAINS, "TLS_RSA_WITH_RC4_128_SHA", False),
        ("name", Op.CONTAINS, "eye", True),
        ("name", Op.CONTAINS, "ear", False),
        ("labels", Op.CONTAINS, "env", True),
        ("labels", Op.CONTAINS, "team", False),
    ],
)
def test_fact_operators(fact, op, expected, passed):
    result = FactCheck(fact, op, expected).evaluate(ctx(FACTS))
    assert result.passed is passed
    assert result.error is None
    (ev,) = result.evidence
    assert (ev.kind, ev.key, ev.operator, ev.passed, ev.at_ms) == ("fact", fact, op.value, passed, NOW)


def test_exists_defaults_to_true():
    check = FactCheck("tls.enabled", Op.EXISTS)
    assert check.expected is True
    assert check.evaluate(ctx(FACTS)).passed is True


@pytest.mark.parametrize("op", [o for o in Op if o is not Op.EXISTS])
def test_missing_fact_is_an_error_for_every_operator(op):
    expected = {
        Op.IN: ["x"], Op.NOT_IN: ["x"], Op.MATCHES: "x", Op.GT: 1, Op.GE: 1, Op.LT: 1, Op.LE: 1,
    }.get(op, "x")
    result = FactCheck("audit.enabled", op, expected).evaluate(ctx(FACTS))
    assert result.passed is None
    assert result.error == "fact 'audit.enabled' is missing"
    assert result.evidence[0].error == result.error


@pytest.mark.parametrize(
    ("fact", "op", "expected", "message"),
    [
        ("name", Op.GT, 1, "not a number"),
        ("tls.enabled", Op.LT, 1, "a boolean, not a number"),
        ("nan", Op.GE, 0, "NaN"),
        ("count", Op.MATCHES, "0", "not a string"),
        ("count", Op.CONTAINS, 0, "cannot check whether it contains"),
        ("labels", Op.CONTAINS, 1, "cannot check whether it contains"),
    ],
)
def test_wrong_type_is_an_error_not_a_fail(fact, op, expected, message):
    result = FactCheck(fact, op, expected).evaluate(ctx(FACTS))
    assert result.passed is None
    assert message in result.error


def test_facts_resolve_flat_nested_and_mixed():
    assert resolve_fact({"a.b.c": 1}, "a.b.c") == 1
    assert resolve_fact({"a": {"b": {"c": 2}}}, "a.b.c") == 2
    assert resolve_fact({"a.b": {"c": 3}}, "a.b.c") == 3
    assert resolve_fact({"a": {"b.c": 4}}, "a.b.c") == 4
    # a longer key that dead-ends does not hide a shorter path that resolves
    assert resolve_fact({"a.b": {"x": 0}, "a": {"b": {"c": 5}}}, "a.b.c") == 5
    assert resolve_fact({"a": 1}, "a.b") is MISSING
    assert resolve_fact({"a": [1, 2]}, "a.0") is MISSING


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"fact": "", "operator": Op.EQ, "expected": 1}, "fact"),
        ({"fact": "a..b", "operator": Op.EQ, "expected": 1}, "fact"),
        ({"fact": "a b", "operator": Op.EQ, "expected": 1}, "fact"),
        ({"fact": "a", "operator": "approx", "expected": 1}, "operator"),
        ({"fact": "a", "operator": Op.GT, "expected": "9"}, "expected"),
        ({"fact": "a", "operator": Op.GT, "expected": True}, "expected"),
        ({"fact": "a", "operator": Op.IN, "expected": "abc"}, "expected"),
        ({"fact": "a", "operator": Op.EXISTS, "expected": "yes"}, "expected"),
        ({"fact": "a", "operator": Op.MATCHES, "expected": "("}, "expected"),
        ({"fact": "a", "operator": Op.MATCHES, "expected": 3}, "expected"),
        ({"fact": "a", "operator": Op.EQ, "expected": object()}, "expected"),
        ({"fact": "a", "operator": Op.EQ, "expected": math.inf}, "expected"),
        ({"fact": "a", "operator": Op.EQ, "expected": {1: "x"}}, "expected"),
    ],
)
def test_fact_check_validation(kwargs, field):
    with pytest.raises(ValidationError) as info:
        FactCheck(**kwargs)
    assert info.value.field == field


def test_operator_parses_from_text_and_lists_are_frozen():
    check = FactCheck("a", "in", ["x", "y"])
    assert check.operator is Op.IN
    assert check.expected == ("x", "y")
    hash(check)  # immutable and hashable, so controls can be set members / dict keys
    assert str(check) == 'fact a in ["x", "y"]'


BACKUP = MetricCheck(Selector.parse('backup_age_seconds{job="db"}'), Aggregation.MAX, 3_600_000, Op.LT, 86_400)


def test_metric_check_key_is_canonical_query_text():
    assert BACKUP.key == 'max(backup_age_seconds{job="db"}[1h])'
    p99 = MetricCheck(Selector.parse("latency_seconds"), Aggregation.QUANTILE, 300_000, Op.LE, 0.5, q=0.99)
    assert p99.key == "quantile(0.99, latency_seconds[5m])"
    odd = MetricCheck(Selector.parse("x"), "avg", 1_500, "ge", 1)
    assert odd.key == "avg(x[1500ms])" and odd.aggregation is Aggregation.AVG and odd.threshold == 1.0


@pytest.mark.parametrize(
    ("op", "threshold", "value", "passed"),
    [
        (Op.LT, 86_400, 3_600.0, True),
        (Op.LT, 86_400, 86_400.0, False),
        (Op.LE, 86_400, 86_400.0, True),
        (Op.GT, 1, 2.0, True),
        (Op.GE, 2, 1.0, False),
        (Op.EQ, 1, 1.0, True),
        (Op.EQ, 1, 0.0, False),
        (Op.NE, 1, 0.0, True),
        (Op.LT, 86_400, math.inf, False),
        (Op.GT, 86_400, math.inf, True),
    ],
)
def test_metric_comparisons(op, threshold, value, passed):
    check = MetricCheck(BACKUP.selector, Aggregation.MAX, 3_600_000, op, threshold)
    result = check.evaluate(ctx(metrics={check.key: value}))
    assert result.passed is passed
    (ev,) = result.evidence
    assert (ev.kind, ev.key, ev.observed, ev.expected, ev.operator) == ("metric", check.key, value, float(threshold), op.value)


def test_metric_values_from_a_resolver():
    seen = []

    def resolver(check):
        seen.append(check)
        return 7200.0

    assert BACKUP.evaluate(ctx(metrics=resolver)).passed is True
    assert seen == [BACKUP]


@pytest.mark.parametrize(
    ("metrics", "message"),
    [
        ({}, "no data for metric"),
        ({BACKUP.key: None}, "no data for metric"),
        ({BACKUP.key: math.nan}, "NaN"),
        ({BACKUP.key: "12"}, "not a number"),
        (lambda check: None, "no data for metric"),
        (lambda check: 1 / 0, "resolving metric"),
    ],
)
def test_missing_or_bad_metric_is_an_error(metrics, message):
    result = BACKUP.evaluate(ctx(metrics=metrics))
    assert result.passed is None
    assert message in result.error
    assert BACKUP.key in result.error


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"window_ms": 0}, "window_ms"),
        ({"window_ms": True}, "window_ms"),
        ({"operator": Op.CONTAINS}, "operator"),
        ({"threshold": math.nan}, "threshold"),
        ({"threshold": "1"}, "threshold"),
        ({"aggregation": "median"}, "aggregation"),
        ({"aggregation": Aggregation.QUANTILE}, "q"),
        ({"aggregation": Aggregation.QUANTILE, "q": 1.5}, "q"),
        ({"q": 0.5}, "q"),
        ({"selector": 'x{a="'}, "selector"),
    ],
)
def test_metric_check_validation(kwargs, field):
    args = {"selector": BACKUP.selector, "aggregation": Aggregation.MAX, "window_ms": 60_000,
            "operator": Op.LT, "threshold": 1.0, **kwargs}
    with pytest.raises(ValidationError) as info:
        MetricCheck(**args)
    assert info.value.field == field


T = FactCheck("t", Op.EQ, True)  # passes
F = FactCheck("f", Op.EQ, True)  # fails
E = FactCheck("absent", Op.EQ, True)  # errors
FACTS_TFE = {"t": True, "f": False}


@pytest.mark.parametrize(
    ("children", "all_of", "any_of"),
    [
        ((T, T), True, True),
        ((T, F), False, True),
        ((F, F), False, False),
        ((T, E), None, True),
        ((F, E), False, None),  # a definite FAIL decides AllOf; AnyOf cannot be decided
        ((E, E), None, None),
    ],
)
def test_composites_follow_kleene_logic(children, all_of, any_of):
    a = AllOf(children).evaluate(ctx(FACTS_TFE))
    b = AnyOf(children).evaluate(ctx(FACTS_TFE))
    assert (a.passed, b.passed) == (all_of, any_of)
    # every child is evaluated, so the evidence is complete either way
    assert len(a.evidence) == len(b.evidence) == len(children)
    if a.passed is None:
        assert "fact 'absent' is missing" in a.error


def test_composites_nest_and_list_their_requirements():
    check = AllOf([T, AnyOf([F, BACKUP]), FactCheck("t", Op.EXISTS)])
    assert required_facts(check) == {"t", "f"}
    assert required_metrics(check) == (BACKUP,)
    assert check.evaluate(ctx(FACTS_TFE, {BACKUP.key: 10.0})).passed is True
    assert str(AnyOf([T, F])) == "any_of(fact t eq true, fact f eq true)"


@pytest.mark.parametrize("children", [[], "abc", [T, "not a check"], 5])
def test_composite_validation(children):
    with pytest.raises(ValidationError):
        AllOf(children)
    with pytest.raises(ValidationError):
        AnyOf(children)


def test_check_result_invariant():
    with pytest.raises(ValidationError):
        CheckResult(None)
    with pytest.raises(ValidationError):
        CheckResult(True, (), "boom")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"now": -1}, "now_ms"), ({"now": 1.5}, "now_ms")],
)
def test_context_validation(kwargs, field):
    with pytest.raises(ValidationError) as info:
        ctx(**kwargs)
    assert info.value.field == field
    with pytest.raises(ValidationError):
        EvaluationContext({}, {}, 0, "Not A Tenant")
    with pytest.raises(ValidationError):
        EvaluationContext([], {}, 0, "acme")
    with pytest.raises(ValidationError):
        EvaluationContext({}, 42, 0, "acme")
