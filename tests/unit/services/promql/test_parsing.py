"""The parser adapter: promql-parser's tree into the engine's, errors as ``bad_data``
in Prometheus' words, and what Prometheus 2.42 lacks refused."""

from __future__ import annotations

import pytest
from hypothesis import given

from domain.promql import ast
from domain.promql.errors import PromQLSyntaxError
from services.promql.parsing import parse, prettify
from tests.support.promql_grammar import expressions


def test_a_query_becomes_the_engines_tree():
    expr = parse('sum by (job) (rate(x{a=~"b.*"}[5m] offset 1m @ 100)) / on(job) group_left(c) y')
    assert isinstance(expr, ast.BinaryOp) and expr.op == "/"
    assert expr.matching == ast.VectorMatching(ast.Cardinality.MANY_TO_ONE, on=True, labels=("job",), include=("c",))
    agg = expr.lhs
    assert isinstance(agg, ast.Aggregate) and agg.grouping == ("job",) and not agg.without
    matrix = agg.expr.args[0]
    assert matrix.range_ms == 300_000 and matrix.vector.offset_ms == 60_000 and matrix.vector.at == ast.At(100_000)
    assert matrix.vector.selector.metric == "x"


def test_modifiers_durations_and_literals():
    assert parse("x offset -5m").offset_ms == -300_000
    assert parse("x @ start()").at == ast.At(anchor="start")
    sub = parse("x[1h:]")
    assert isinstance(sub, ast.Subquery) and sub.step_ms is None and sub.range_ms == 3_600_000
    assert parse("0x10") == ast.NumberLiteral(16.0)
    assert parse("x and y").matching.card is ast.Cardinality.MANY_TO_MANY
    assert parse("x + 1").matching is None
    assert parse("holt_winters(x[5m], 0.5, 0.5)").name == "holt_winters"  # renamed in PromQL 3, kept here


def test_format_query_keeps_an_empty_ignoring_before_group_left():
    assert prettify("a + ignoring() group_left() b") == "a + ignoring () group_left () b"
    assert prettify("sum(rate(x[5m])) by (job)") == "sum by (job) (rate(x[5m]))"


@pytest.mark.parametrize(("query", "message"), [
    ("rate(x)", 'expected type range vector in call to function "rate", got instant vector'),
    ("", "no expression found"),
    ("foo(x)", 'unknown function with name "foo"'),
    ("mad_over_time(x[5m])", 'unknown function with name "mad_over_time"'),
    ("limitk(1, x)", 'unknown aggregation "limitk"'),
    ('x{a="1" or b="2"}', "'or' inside braces"),
    ("1 > 2", "comparisons between scalars must use BOOL modifier"),
])
def test_invalid_queries_are_bad_data(query, message):
    with pytest.raises(PromQLSyntaxError) as caught:
        parse(query)
    assert caught.value.error_type == "bad_data"
    assert message in caught.value.message


@given(expressions())
def test_prettified_queries_parse_to_the_same_tree(query):
    try:
        tree = parse(query)
    except PromQLSyntaxError:  # the grammar can write an invalid regex ("+Inf"): refused alike
        with pytest.raises(PromQLSyntaxError):
            prettify(query)
        return
    pretty = prettify(query)
    assert prettify(pretty) == pretty
    assert repr(ast.canonical(parse(pretty))) == repr(ast.canonical(tree))  # repr: NaN literals compare equal

