"""The parser adapter: PromQL text to ``domain.promql.ast`` through ``promql-parser``.

``promql-parser`` (a Rust parser of PromQL 3 with Python bindings) is a library, not a
framework, so it is imported here in ``services`` rather than behind a port
(docs/adr/0012-promql-engine.md); nothing but this module touches its classes. It also
checks types (argument types, scalar comparisons without ``bool``...), so its errors
become ``bad_data`` with Prometheus' wording.

It parses PromQL 3; what Prometheus 2.42 does not have is refused here: functions and
aggregations it does not know, ``or`` inside braces, fill modifiers.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import promql_parser as pp

from domain.errors import ValidationError
from domain.metrics.matchers import METRIC_NAME_LABEL, MatchOp, Matcher
from domain.metrics.query import Selector
from domain.promql.ast import (
    AGGREGATIONS,
    Aggregate,
    At,
    BinaryOp,
    Call,
    Cardinality,
    Expr,
    MatrixSelector,
    NumberLiteral,
    Paren,
    StringLiteral,
    Subquery,
    Unary,
    VectorMatching,
    VectorSelector,
    canonical,
)
from domain.promql.catalogue import FUNCTIONS
from domain.promql.errors import PromQLSyntaxError

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MS = timedelta(milliseconds=1)
# The binding's enums are not hashable: look them up by their names.
_OPS = {"Equal": MatchOp.EQ, "NotEqual": MatchOp.NEQ, "Re": MatchOp.RE, "NotRe": MatchOp.NRE}
_CARD = {
    "OneToOne": Cardinality.ONE_TO_ONE, "ManyToOne": Cardinality.MANY_TO_ONE,
    "OneToMany": Cardinality.ONE_TO_MANY, "ManyToMany": Cardinality.MANY_TO_MANY,
}


def _name(member: object) -> str:
    return str(member).rpartition(".")[2]


_TYPE_NAMES = {"matrix": "range vector", "vector": "instant vector"}


def _register_holt_winters() -> None:
    """PromQL 3 renamed holt_winters to double_exponential_smoothing; 2.42 has the old name."""
    try:
        pp.register_extra_functions(
            [pp.Function("holt_winters", [pp.ValueType.Matrix, pp.ValueType.Scalar, pp.ValueType.Scalar], pp.ValueType.Vector)]
        )
    except ValueError:
        pass  # registered already (the registry is process-wide)


_register_holt_winters()


def _prometheus_wording(message: str) -> str:
    """The parser's message in Prometheus' words ("range vector", double quotes)."""
    message = re.sub(r"'([^']*)'", r'"\1"', message)
    return re.sub(r"\b(matrix|vector)\b(?! selector)", lambda m: _TYPE_NAMES[m.group(1)], message)


def parse(text: str) -> Expr:
    """The expression tree of ``text``; PromQLSyntaxError (``bad_data``) if it has none."""
    if not isinstance(text, str) or not text.strip():
        raise PromQLSyntaxError("parse error: no expression found in input")
    try:
        tree = pp.parse(text)
    except ValueError as exc:
        raise PromQLSyntaxError(f"parse error: {_prometheus_wording(str(exc))}") from None
    return _translate(tree)


_BARE_GROUP = re.compile(r"(\+|-|\*|/|%|\^|==|!=|>=|<=|>|<|\batan2|\bbool) (group_left|group_right)\b")


def prettify(text: str) -> str:
    """``text`` formatted by the parser's prettifier (Prometheus' ``format_query``).

    The prettifier drops an empty ``ignoring()`` even before ``group_left``, which
    leaves invalid PromQL; it is put back. Should the output still not read back as
    the same query, the query is returned as it was given."""
    tree = parse(text)  # the same errors as every other entry point
    pretty = _BARE_GROUP.sub(r"\1 ignoring () \2", pp.parse(text).prettify())
    try:
        same = repr(canonical(parse(pretty))) == repr(canonical(tree))  # repr: NaN literals compare equal
    except PromQLSyntaxError:
        same = False
    return pretty if same else text


def _ms(delta: timedelta | None) -> int:
    return 0 if delta is None else delta // _MS


def _at(at: pp.AtModifier | None) -> At | None:
    if at is None:
        return None
    if at.type == pp.AtModifierType.Start:
        return At(anchor="start")
    if at.type == pp.AtModifierType.End:
        return At(anchor="end")
    return At(timestamp_ms=(at.at - _EPOCH) // _MS)


def _selector(node: pp.VectorSelector) -> VectorSelector:
    if node.matchers.or_matchers:
        raise PromQLSyntaxError("parse error: 'or' inside braces is not supported (PromQL 3 syntax)")
    matchers = []
    if node.name is not None:
        matchers.append(Matcher.of(METRIC_NAME_LABEL, MatchOp.EQ, node.name))
    try:
        matchers += [Matcher.of(m.name, _OPS[_name(m.op)], m.value) for m in node.matchers.matchers]
        selector = Selector(None, tuple(matchers))
    except ValidationError as exc:
        raise PromQLSyntaxError(f"parse error: {exc.message}") from None
    return VectorSelector(selector, _ms(node.offset), _at(node.at))


def _translate(node: object) -> Expr:
    if isinstance(node, pp.NumberLiteral):
        return NumberLiteral(float(node.val))
    if isinstance(node, pp.StringLiteral):
        return StringLiteral(node.val)
    if isinstance(node, pp.VectorSelector):
        return _selector(node)
    if isinstance(node, pp.MatrixSelector):
        return MatrixSelector(_selector(node.vector_selector), _ms(node.range))
    if isinstance(node, pp.SubqueryExpr):
        step = _ms(node.step) if node.step is not None else None
        return Subquery(_translate(node.expr), _ms(node.range), step, _ms(node.offset), _at(node.at))
    if isinstance(node, pp.ParenExpr):
        return Paren(_translate(node.expr))
    if isinstance(node, pp.UnaryExpr):
        return Unary(_translate(node.expr))
    if isinstance(node, pp.Call):
        name = node.func.name
        if name not in FUNCTIONS:
            raise PromQLSyntaxError(f'parse error: unknown function with name "{name}"')
        return Call(name, tuple(_translate(a) for a in node.args))
    if isinstance(node, pp.AggregateExpr):
        return _aggregate(node)
    if isinstance(node, pp.BinaryExpr):
        return _binary(node)
    raise PromQLSyntaxError(f"parse error: unsupported expression {type(node).__name__}")


def _aggregate(node: pp.AggregateExpr) -> Aggregate:
    op = str(node.op)
    if op not in AGGREGATIONS:
        raise PromQLSyntaxError(f'parse error: unknown aggregation "{op}"')
    grouping: tuple[str, ...] = ()
    without = False
    if node.modifier is not None:
        grouping = tuple(node.modifier.labels)
        without = node.modifier.type == pp.AggModifierType.Without
    param = _translate(node.param) if node.param is not None else None
    return Aggregate(op, _translate(node.expr), param, grouping, without)


def _binary(node: pp.BinaryExpr) -> BinaryOp:
    lhs, rhs = _translate(node.lhs), _translate(node.rhs)
    op = str(node.op)
    mod = node.modifier
    return_bool = bool(mod and mod.return_bool)
    if mod is not None and mod.fill_values is not None and (mod.fill_values.lhs is not None or mod.fill_values.rhs is not None):
        raise PromQLSyntaxError("parse error: fill modifiers are not supported (PromQL 3 syntax)")
    matching = None
    if lhs.type.value == "vector" and rhs.type.value == "vector":
        card = _CARD[_name(mod.card)] if mod is not None else Cardinality.ONE_TO_ONE
        if op in ("and", "or", "unless"):
            card = Cardinality.MANY_TO_MANY
        on, labels = False, ()
        if mod is not None and mod.matching is not None:
            on = mod.matching.type == pp.LabelModifierType.Include
            labels = tuple(mod.matching.labels)
        include = tuple(mod.group_labels or ()) if mod is not None else ()
        matching = VectorMatching(card, on, labels, include)
    return BinaryOp(op, lhs, rhs, return_bool, matching)
