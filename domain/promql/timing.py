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


def selector_ranges(expr: Expr, start_ms: int, end_ms: int, *, lookback_ms: int) -> list[tuple[VectorSelector, int, int]]:
    """For every selector occurrence in ``expr`` (a query from ``start_ms`` to
    ``end_ms``), the sample range ``[lo, hi]`` Prometheus 2.42 reads for it
    (``getTimeRangesForSelector``): the query's range, or the ``@`` time of the
    selector or of the innermost enclosing subquery with one, moved back by the
    offsets and ranges of the enclosing subqueries, by its own range (or the lookback)
    and offset.

    The engine reads these ranges and each occurrence sees only its own, as in
    Prometheus: where ``@`` makes it evaluate a window away from the ``@`` time
    (services/promql/evaluator.py), that window holds only what was read. Inside an
    aggregation's parameter Prometheus does not resolve ``start()``/``end()``: there
    they count as no ``@``."""
    out: list[tuple[VectorSelector, int, int]] = []

    def fixed(at, in_param: bool) -> int | None:
        if at is None or (in_param and at.anchor is not None):
            return None
        return at.resolve(start_ms, end_ms)

    def selector(vs: VectorSelector, path: list[Subquery], in_param: bool, eval_range: int) -> None:
        lo, hi = start_ms, end_ms
        sub_offset = sub_range = 0
        sub_at = None
        for sq in path:
            sub_offset += sq.offset_ms
            sub_range += sq.range_ms
            t = fixed(sq.at, in_param)
            if t is not None:  # an @ on a subquery overrides everything outside it
                sub_offset, sub_range, sub_at = sq.offset_ms, sq.range_ms, t
        if sub_at is not None:
            lo = hi = sub_at
        t = fixed(vs.at, in_param)
        if t is not None:
            lo = hi = t
        else:
            lo, hi = lo - sub_offset - sub_range, hi - sub_offset
        lo -= eval_range if eval_range else lookback_ms
        out.append((vs, lo - vs.offset_ms, hi - vs.offset_ms))

    def walk(e: Expr, path: list[Subquery], in_param: bool) -> None:
        if isinstance(e, VectorSelector):
            selector(e, path, in_param, 0)
        elif isinstance(e, MatrixSelector):
            selector(e.vector, path, in_param, e.range_ms)
        elif isinstance(e, Subquery):
            walk(e.expr, [*path, e], in_param)
        elif isinstance(e, (Paren, Unary)):
            walk(e.expr, path, in_param)
        elif isinstance(e, BinaryOp):
            walk(e.lhs, path, in_param)
            walk(e.rhs, path, in_param)
        elif isinstance(e, Aggregate):
            if e.param is not None:
                walk(e.param, path, True)
            walk(e.expr, path, in_param)
        elif isinstance(e, Call):
            for a in e.args:
                walk(a, path, in_param)

    walk(expr, [], False)
    return out
