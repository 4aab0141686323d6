"""Time arithmetic of evaluation: subquery grids and the sample ranges selectors need.

Prometheus 2.42 semantics: an instant selector at time t sees the newest sample in
``[t - offset - lookback, t - offset]`` (both ends included); a range selector
``x[r]`` sees ``[t - offset - r, t - offset]``; ``@ T`` replaces ``t`` by T. A
subquery ``e[r:s]`` evaluates ``e`` at the multiples of ``s`` (since the epoch) in
``[t - offset - r, t - offset]``.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.promql.ast import (
    Aggregate,
    BinaryOp,
    Call,
    Expr,
    MatrixSelector,
    Paren,
    Subquery,
    Unary,
    VectorSelector,
)

DEFAULT_LOOKBACK_MS = 5 * 60 * 1000
DEFAULT_SUBQUERY_STEP_MS = 60 * 1000  # Prometheus' default global evaluation_interval


def go_div(a: int, b: int) -> int:
    """Go's integer division, which truncates toward zero (Python's floors)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


@dataclass(frozen=True, slots=True)
class Grid:
    """Evaluation times ``start, start + step, ... <= end`` (``step`` 0: one time)."""

    start_ms: int
    end_ms: int
    step_ms: int

    @property
    def count(self) -> int:
        if self.step_ms <= 0 or self.end_ms < self.start_ms:
            return 1 if self.end_ms == self.start_ms else 0
        return (self.end_ms - self.start_ms) // self.step_ms + 1


def subquery_grid(start_ms: int, end_ms: int, sub: Subquery, default_step_ms: int) -> Grid:
    """Where ``sub``'s expression is evaluated when the subquery is needed at times
    ``start_ms..end_ms`` (already the ``@`` time when it has one): the multiples of its
    step from ``start - offset - range`` to ``end - offset``, as Prometheus aligns them."""
    step = sub.step_ms or default_step_ms
    lo = start_ms - sub.offset_ms - sub.range_ms
    first = step * go_div(lo, step)
    if first < lo:
        first += step
    return Grid(first, end_ms - sub.offset_ms, step)


def read_ranges(
    expr: Expr, start_ms: int, end_ms: int, *, query_start_ms: int, query_end_ms: int,
    lookback_ms: int, default_step_ms: int,
) -> dict[VectorSelector, tuple[int, int]]:
    """The sample range ``[lo, hi]`` each selector of ``expr`` needs when ``expr`` is
    evaluated at times ``start_ms..end_ms``, merged over every place it appears."""
    out: dict[VectorSelector, tuple[int, int]] = {}

    def need(vs: VectorSelector, lo: int, hi: int) -> None:
        old = out.get(vs)
        out[vs] = (lo, hi) if old is None else (min(old[0], lo), max(old[1], hi))

    def times(at, s: int, e: int) -> tuple[int, int]:
        if at is not None:
            t = at.resolve(query_start_ms, query_end_ms)
            return t, t
        return s, e

    def walk(e: Expr, s: int, t: int) -> None:
        if isinstance(e, VectorSelector):
            lo, hi = times(e.at, s, t)
            need(e, lo - e.offset_ms - lookback_ms, hi - e.offset_ms)
        elif isinstance(e, MatrixSelector):
            lo, hi = times(e.vector.at, s, t)
            need(e.vector, lo - e.vector.offset_ms - e.range_ms, hi - e.vector.offset_ms)
        elif isinstance(e, Subquery):
            lo, hi = times(e.at, s, t)
            grid = subquery_grid(lo, hi, e, default_step_ms)
            walk(e.expr, grid.start_ms, grid.end_ms)
        elif isinstance(e, (Paren, Unary)):
            walk(e.expr, s, t)
        elif isinstance(e, BinaryOp):
            walk(e.lhs, s, t)
            walk(e.rhs, s, t)
        elif isinstance(e, Aggregate):
            if e.param is not None:
                walk(e.param, s, t)
            walk(e.expr, s, t)
        elif isinstance(e, Call):
            for a in e.args:
                walk(a, s, t)

    walk(expr, start_ms, end_ms)
    return out
