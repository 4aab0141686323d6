"""The expression tree the engine evaluates: PromQL's syntax without a parser's types.

The parser adapter (``services/promql/parsing.py``) translates the third-party parser's
tree into these frozen dataclasses, so evaluation never depends on a parser's classes
and a test can build an expression by hand. Durations and timestamps are integer
milliseconds, as Prometheus keeps them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields, is_dataclass, replace

from domain.metrics.query import Selector
from domain.promql.catalogue import AT_UNSAFE_FUNCTIONS, FUNCTIONS
from domain.promql.types import ValueType


class Cardinality(str, enum.Enum):
    ONE_TO_ONE = "one-to-one"
    MANY_TO_ONE = "many-to-one"  # group_left
    ONE_TO_MANY = "one-to-many"  # group_right
    MANY_TO_MANY = "many-to-many"  # the set operators


@dataclass(frozen=True, slots=True)
class At:
    """The ``@`` modifier: a fixed time, or the query's ``start()`` / ``end()``."""

    timestamp_ms: int | None = None
    anchor: str | None = None  # "start" or "end"

    def resolve(self, start_ms: int, end_ms: int) -> int:
        if self.anchor == "start":
            return start_ms
        if self.anchor == "end":
            return end_ms
        assert self.timestamp_ms is not None
        return self.timestamp_ms


class Expr:
    """Base of every node."""

    __slots__ = ()

    @property
    def type(self) -> ValueType:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class NumberLiteral(Expr):
    value: float

    @property
    def type(self) -> ValueType:
        return ValueType.SCALAR


@dataclass(frozen=True, slots=True)
class StringLiteral(Expr):
    value: str

    @property
    def type(self) -> ValueType:
        return ValueType.STRING


@dataclass(frozen=True, slots=True)
class VectorSelector(Expr):
    """``name{matchers} offset d @ t``; ``selector`` holds the matchers (the name too)."""

    selector: Selector
    offset_ms: int = 0
    at: At | None = None

    @property
    def type(self) -> ValueType:
        return ValueType.VECTOR


@dataclass(frozen=True, slots=True)
class MatrixSelector(Expr):
    vector: VectorSelector
    range_ms: int

    @property
    def type(self) -> ValueType:
        return ValueType.MATRIX


@dataclass(frozen=True, slots=True)
class Subquery(Expr):
    """``expr[range:step] offset d @ t``; ``step_ms`` None means the default interval."""

    expr: Expr
    range_ms: int
    step_ms: int | None
    offset_ms: int = 0
    at: At | None = None

    @property
    def type(self) -> ValueType:
        return ValueType.MATRIX


@dataclass(frozen=True, slots=True)
class Call(Expr):
    name: str
    args: tuple[Expr, ...]

    @property
    def type(self) -> ValueType:
        return FUNCTIONS[self.name].returns


@dataclass(frozen=True, slots=True)
class Aggregate(Expr):
    """``op by|without (grouping) ([param,] expr)``."""

    op: str
    expr: Expr
    param: Expr | None = None
    grouping: tuple[str, ...] = ()
    without: bool = False

    @property
    def type(self) -> ValueType:
        return ValueType.VECTOR


@dataclass(frozen=True, slots=True)
class VectorMatching:
    """How two vectors' elements pair up: ``on``/``ignoring`` labels and
    ``group_left``/``group_right`` (``include``: labels copied from the "one" side)."""

    card: Cardinality = Cardinality.ONE_TO_ONE
    on: bool = False
    labels: tuple[str, ...] = ()
    include: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BinaryOp(Expr):
    op: str
    lhs: Expr
    rhs: Expr
    return_bool: bool = False
    matching: VectorMatching | None = None  # None when either side is a scalar

    @property
    def type(self) -> ValueType:
        if self.lhs.type is ValueType.SCALAR and self.rhs.type is ValueType.SCALAR:
            return ValueType.SCALAR
        return ValueType.VECTOR


@dataclass(frozen=True, slots=True)
class Unary(Expr):
    """Unary minus (unary plus is dropped by the parser)."""

    expr: Expr

    @property
    def type(self) -> ValueType:
        return self.expr.type


@dataclass(frozen=True, slots=True)
class Paren(Expr):
    expr: Expr

    @property
    def type(self) -> ValueType:
        return self.expr.type


ARITHMETIC = frozenset({"+", "-", "*", "/", "%", "^"})
AGGREGATIONS = frozenset(
    {"sum", "avg", "min", "max", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group"}
)


def unwrap(expr: Expr) -> Expr:
    """The expression inside any parentheses."""
    while isinstance(expr, Paren):
        expr = expr.expr
    return expr


def step_invariant(expr: Expr) -> bool:
    """Whether ``expr`` has the same value at every evaluation step (Prometheus'
    ``preprocessExpr``): literals, and anything whose selectors all carry ``@``, except
    through functions that read the evaluation time. The engine evaluates such a
    subtree once and repeats it, as Prometheus does."""
    if isinstance(expr, (NumberLiteral, StringLiteral)):
        return True
    if isinstance(expr, VectorSelector):
        return expr.at is not None
    if isinstance(expr, MatrixSelector):
        return expr.vector.at is not None
    if isinstance(expr, Subquery):
        return expr.at is not None
    if isinstance(expr, (Paren, Unary)):
        return step_invariant(expr.expr)
    if isinstance(expr, BinaryOp):
        return step_invariant(expr.lhs) and step_invariant(expr.rhs)
    if isinstance(expr, Aggregate):
        return step_invariant(expr.expr)  # Prometheus ignores the parameter here
    if isinstance(expr, Call):
        return expr.name not in AT_UNSAFE_FUNCTIONS and all(step_invariant(a) for a in expr.args)
    raise TypeError(f"unknown expression {expr!r}")


def canonical(expr: Expr) -> Expr:
    """``expr`` with every selector's matchers in one order, so two spellings of the
    same query compare equal (a formatter may reorder them)."""
    if isinstance(expr, VectorSelector):
        sel = expr.selector
        return replace(expr, selector=Selector(sel.metric, tuple(sorted(sel.matchers, key=str))))
    if is_dataclass(expr):
        return replace(expr, **{f.name: _canonical_field(getattr(expr, f.name)) for f in fields(expr)})
    return expr


def _canonical_field(value: object) -> object:
    if isinstance(value, Expr):
        return canonical(value)
    if isinstance(value, tuple):
        return tuple(_canonical_field(v) for v in value)
    return value
