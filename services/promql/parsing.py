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


_NEGATIVE_AT = re.compile(r"@(\s*)-\s*((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`|#[^\n]*')
_STAND_IN_S = 9_999_000_000  # a positive @ time no query uses, standing in for a negative one


def _hide_negative_at(text: str) -> tuple[str, dict[int, int]]:
    """``text`` with each negative ``@`` time (valid PromQL the parser cannot read: it
    panics) replaced by a distinct positive stand-in; returns the stand-ins' millisecond
    values mapped to the real ones. String literals and comments are left alone."""
    stand_ins: dict[int, int] = {}

    def replace(m: re.Match[str]) -> str:
        real_ms = -round(float(m.group(2)) * 1000)
        stand_in = _STAND_IN_S + len(stand_ins)
        stand_ins[stand_in * 1000] = real_ms
        return f"@{m.group(1)}{stand_in}"

    out, pos = [], 0
    for lit in _STRING_OR_COMMENT.finditer(text):
        out.append(_NEGATIVE_AT.sub(replace, text[pos:lit.start()]))
        out.append(lit.group(0))
        pos = lit.end()
    out.append(_NEGATIVE_AT.sub(replace, text[pos:]))
    return "".join(out), stand_ins


def parse(text: str) -> Expr:
    """The expression tree of ``text``; PromQLSyntaxError (``bad_data``) if it has none."""
    if not isinstance(text, str) or not text.strip():
        raise PromQLSyntaxError("parse error: no expression found in input")
    source, stand_ins = _hide_negative_at(text)
    try:
        tree = pp.parse(source)
    except ValueError as exc:
        raise PromQLSyntaxError(f"parse error: {_prometheus_wording(str(exc))}") from None
    except BaseException as exc:  # the Rust parser panics on some input (pyo3's PanicException)
        if type(exc).__name__ != "PanicException":
            raise
        raise PromQLSyntaxError(f"parse error: the query could not be parsed ({exc})") from None
    return _Translator(stand_ins).expr(tree)


_BARE_GROUP = re.compile(r"(\+|-|\*|/|%|\^|==|!=|>=|<=|>|<|\batan2|\bbool) (group_left|group_right)\b")


def prettify(text: str) -> str:
    """``text`` formatted by the parser's prettifier (Prometheus' ``format_query``).

    The prettifier drops an empty ``ignoring()`` even before ``group_left``, which
    leaves invalid PromQL; it is put back. Should the output still not read back as
    the same query, the query is returned as it was given."""
    tree = parse(text)  # the same errors as every other entry point
    source, stand_ins = _hide_negative_at(text)
    pretty = _BARE_GROUP.sub(r"\1 ignoring () \2", pp.parse(source).prettify())
    for stand_in_ms, real_ms in stand_ins.items():  # the prettifier prints @ times with three decimals
        pretty = pretty.replace(f"@ {stand_in_ms // 1000}.000", f"@ {real_ms / 1000:.3f}")
    try:
        same = repr(canonical(parse(pretty))) == repr(canonical(tree))  # repr: NaN literals compare equal
    except PromQLSyntaxError:
        same = False
    return pretty if same else text


def _ms(delta: timedelta | None) -> int:
    return 0 if delta is None else delta // _MS


class _Translator:
    """promql-parser's nodes to ours; ``stand_ins`` maps hidden negative @ times back."""

    def __init__(self, stand_ins: dict[int, int]) -> None:
        self.stand_ins = stand_ins

    def at(self, at: pp.AtModifier | None) -> At | None:
        if at is None:
            return None
        if at.type == pp.AtModifierType.Start:
            return At(anchor="start")
        if at.type == pp.AtModifierType.End:
            return At(anchor="end")
        ms = (at.at - _EPOCH) // _MS
        return At(timestamp_ms=self.stand_ins.get(ms, ms))

    def selector(self, node: pp.VectorSelector) -> VectorSelector:
        return _selector(node, self.at(node.at))

    def expr(self, node: object) -> Expr:
        return _translate(node, self)


def _selector(node: pp.VectorSelector, at: At | None) -> VectorSelector:
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
    return VectorSelector(selector, _ms(node.offset), at)


def _translate(node: object, tr: _Translator) -> Expr:
    if isinstance(node, pp.NumberLiteral):
        return NumberLiteral(float(node.val))
    if isinstance(node, pp.StringLiteral):
        return StringLiteral(node.val)
    if isinstance(node, pp.VectorSelector):
        return tr.selector(node)
    if isinstance(node, pp.MatrixSelector):
        return MatrixSelector(tr.selector(node.vector_selector), _ms(node.range))
    if isinstance(node, pp.SubqueryExpr):
        step = _ms(node.step) if node.step is not None else None
        return Subquery(tr.expr(node.expr), _ms(node.range), step, _ms(node.offset), tr.at(node.at))
    if isinstance(node, pp.ParenExpr):
        return Paren(tr.expr(node.expr))
    if isinstance(node, pp.UnaryExpr):
        return Unary(tr.expr(node.expr))
    if isinstance(node, pp.Call):
        name = node.func.name
        if name not in FUNCTIONS:
            raise PromQLSyntaxError(f'parse error: unknown function with name "{name}"')
        return Call(name, tuple(tr.expr(a) for a in node.args))
    if isinstance(node, pp.AggregateExpr):
        return _aggregate(node, tr)
    if isinstance(node, pp.BinaryExpr):
        return _binary(node, tr)
    raise PromQLSyntaxError(f"parse error: unsupported expression {type(node).__name__}")


def _aggregate(node: pp.AggregateExpr, tr: _Translator) -> Aggregate:
    op = str(node.op)
    if op not in AGGREGATIONS:
        raise PromQLSyntaxError(f'parse error: unknown aggregation "{op}"')
    grouping: tuple[str, ...] = ()
    without = False
    if node.modifier is not None:
        grouping = tuple(node.modifier.labels)
        without = node.modifier.type == pp.AggModifierType.Without
    param = tr.expr(node.param) if node.param is not None else None
    return Aggregate(op, tr.expr(node.expr), param, grouping, without)


def _binary(node: pp.BinaryExpr, tr: _Translator) -> BinaryOp:
    lhs, rhs = tr.expr(node.lhs), tr.expr(node.rhs)
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
