"""Evaluation of an expression tree over an array of evaluation times.

The samples of every selector are read before evaluation starts (the engine reads them
through the store port, inside the query's limits), so evaluation is pure computation
on arrays; ``checkpoint`` is called between nodes and inside long loops, and raises
when the query's deadline passes or it is cancelled.

A subtree whose value cannot change from step to step (``step_invariant``: literals,
``@``) is evaluated at the first step only and repeated, as Prometheus does.

Two of Prometheus 2.42's ways with ``@`` are reproduced because its answers depend on
them: it turns ``@ t`` into an offset from the evaluation's first step, so where a
selector with ``@`` is evaluated at every step anyway it reads at ``t + (step - first
step)``. That happens to the range argument (selector or subquery) of a function that
is not step-invariant itself (``predict_linear(x[5m] @ t, 60)``), and to every selector
in an aggregation's parameter (``topk(scalar(y @ t), x)``), which Prometheus does not
preprocess at all, so ``start()`` and ``end()`` there mean nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from domain.errors import QueryLimitExceeded
from domain.metrics.query import Selector
from domain.promql import ast
from domain.promql.catalogue import FUNCTIONS, KEEPS_METRIC_NAME
from domain.promql.labels import Labels, absent_labels, drop_name
from domain.promql.timing import subquery_grid
from domain.promql.types import ValueType
from services.promql import aggregation, binary, functions
from services.promql.range_functions import RANGE_FUNCTIONS, RangeCall
from services.promql.values import Matrix, Scalar, String, Value, Vector, is_stale, merge_rows
from services.promql.windows import bounds

_step_invariant = lru_cache(maxsize=4096)(ast.step_invariant)


@dataclass(frozen=True, slots=True)
class SelectedSeries:
    """One stored series a selector matched: its labels and samples (markers included)."""

    labels: Labels
    timestamps: np.ndarray
    values: np.ndarray

    def without_stale(self) -> tuple[np.ndarray, np.ndarray]:
        stale = is_stale(self.values)
        if not stale.any():
            return self.timestamps, self.values
        return self.timestamps[~stale], self.values[~stale]


def broadcast(value: Value, steps: int) -> Value:
    """A value computed at one step, repeated over ``steps`` (read-only views)."""
    if isinstance(value, Scalar):
        return Scalar(np.broadcast_to(value.values[:1], (steps,)))
    if isinstance(value, Vector):
        n = len(value)
        return Vector(value.labels, np.broadcast_to(value.values[:, :1], (n, steps)),
                      np.broadcast_to(value.present[:, :1], (n, steps)))
    if isinstance(value, Matrix):
        return Matrix(value.labels, value.samples, value.range_ms, np.broadcast_to(value.ends[:1], (steps,)))
    return value


class Evaluator:
    """Evaluates expressions of one query (its ``start()``/``end()``, lookback, data)."""

    def __init__(
        self, data: Mapping[Selector, list[SelectedSeries]], ranges: Mapping[int, tuple[int, int]], *,
        query_start_ms: int, query_end_ms: int,
        lookback_ms: int, subquery_step_ms: int, checkpoint: Callable[[], None], max_points: int,
    ) -> None:
        self._data = data
        self._ranges = ranges  # id(selector node) -> the samples it may see (timing.selector_ranges)
        self._clipped: dict[int, list[SelectedSeries]] = {}
        self._start = query_start_ms
        self._end = query_end_ms
        self._lookback = lookback_ms
        self._subquery_step = subquery_step_ms
        self._checkpoint = checkpoint
        self._max_points = max_points
        self._without_stale: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._in_param = 0  # > 0 while evaluating an aggregation's parameter (see the module doc)

    def evaluate(self, expr: ast.Expr, steps: np.ndarray) -> Value:
        with np.errstate(all="ignore"):
            return self._eval(expr, steps)

    def _eval(self, expr: ast.Expr, steps: np.ndarray) -> Value:
        self._checkpoint()
        if (steps.size > 1 and not self._in_param and not isinstance(expr, (ast.NumberLiteral, ast.StringLiteral))
                and _step_invariant(expr)):
            return broadcast(self._eval(expr, steps[:1]), steps.size)
        if isinstance(expr, ast.NumberLiteral):
            return Scalar(np.full(steps.size, expr.value))
        if isinstance(expr, ast.StringLiteral):
            return String(expr.value)
        if isinstance(expr, ast.Paren):
            return self._eval(expr.expr, steps)
        if isinstance(expr, ast.VectorSelector):
            return self._instant_selector(expr, steps)
        if isinstance(expr, ast.MatrixSelector):
            return self._matrix_selector(expr, steps)
        if isinstance(expr, ast.Subquery):
            return self._subquery(expr, steps)
        if isinstance(expr, ast.Unary):
            return self._negate(self._eval(expr.expr, steps))
        if isinstance(expr, ast.BinaryOp):
            return self._binary(expr, steps)
        if isinstance(expr, ast.Aggregate):
            param = None
            if expr.param is not None:
                self._in_param += 1
                try:
                    param = self._eval(expr.param, steps)
                finally:
                    self._in_param -= 1
            v = self._eval(expr.expr, steps)
            assert isinstance(v, Vector)
            return aggregation.aggregate(expr.op, v, expr.grouping, expr.without, param)
        if isinstance(expr, ast.Call):
            return self._call(expr, steps)
        raise TypeError(f"unknown expression {expr!r}")

    # ------------------------------------------------------------------ selectors

    def _effective_at(self, at: ast.At | None) -> ast.At | None:
        """``at``, except that Prometheus never resolves start()/end() in a parameter."""
        return None if at is not None and at.anchor is not None and self._in_param else at

    def _refs(self, at: ast.At | None, offset_ms: int, steps: np.ndarray) -> np.ndarray:
        at = self._effective_at(at)
        if at is None:
            return steps - offset_ms
        t = at.resolve(self._start, self._end) - offset_ms
        if self._in_param:
            return t + (steps - steps[0])  # @ as an offset from the first step (module doc)
        return np.full(steps.size, t, np.int64)

    def _series(self, vs: ast.VectorSelector) -> list[SelectedSeries]:
        """The series of ``vs`` with only the samples this occurrence reads."""
        got = self._clipped.get(id(vs))
        if got is None:
            lo, hi = self._ranges[id(vs)]
            got = []
            for s in self._data.get(vs.selector, []):
                a, b = np.searchsorted(s.timestamps, lo, "left"), np.searchsorted(s.timestamps, hi, "right")
                if b > a:
                    got.append(s if a == 0 and b == s.timestamps.size else
                               SelectedSeries(s.labels, s.timestamps[a:b], s.values[a:b]))
            self._clipped[id(vs)] = got
        return got

    def _check_points(self, rows: int, steps: int) -> None:
        if rows * steps > self._max_points:
            raise QueryLimitExceeded(
                f"the query would evaluate {rows} series at {steps} steps ({rows * steps} points), over the limit "
                f"of {self._max_points}; use a larger step, a shorter range or a narrower selector",
                field="query", limit="max_points_per_query", value=self._max_points,
            )

    def _latest(self, vs: ast.VectorSelector, steps: np.ndarray, *, offset_ms: int | None = None,
                ) -> tuple[list[Labels], np.ndarray, np.ndarray, np.ndarray]:
        """Per series and step: the newest sample at or before the reference time within
        the lookback, unless it is a staleness marker: labels, values, times, present."""
        refs = self._refs(vs.at, vs.offset_ms if offset_ms is None else offset_ms, steps)
        series = self._series(vs)
        self._check_points(len(series), steps.size)
        values = np.zeros((len(series), steps.size))
        times = np.zeros((len(series), steps.size), np.int64)
        present = np.zeros((len(series), steps.size), bool)
        oldest = refs - self._lookback
        for i, s in enumerate(series):
            if i % 256 == 255:
                self._checkpoint()
            idx = np.searchsorted(s.timestamps, refs, "right") - 1
            ok = idx >= 0
            idx = np.maximum(idx, 0)
            t = s.timestamps[idx]
            v = s.values[idx]
            present[i] = ok & (t >= oldest) & ~is_stale(v)
            values[i] = v
            times[i] = t
        return [s.labels for s in series], values, times, present

    def _instant_selector(self, vs: ast.VectorSelector, steps: np.ndarray) -> Vector:
        labels, values, _, present = self._latest(vs, steps)
        return Vector(labels, values, present)

    def _samples(self, s: SelectedSeries) -> tuple[np.ndarray, np.ndarray]:
        got = self._without_stale.get(id(s))
        if got is None:
            got = self._without_stale[id(s)] = s.without_stale()
        return got

    def _matrix_selector(self, ms: ast.MatrixSelector, steps: np.ndarray) -> Matrix:
        vs = ms.vector
        series = self._series(vs)
        return Matrix([s.labels for s in series], [self._samples(s) for s in series], ms.range_ms,
                      self._refs(vs.at, vs.offset_ms, steps))

    def _subquery(self, sq: ast.Subquery, steps: np.ndarray) -> Matrix:
        ends = self._refs(sq.at, sq.offset_ms, steps)
        grid = subquery_grid(int(ends[0]) + sq.offset_ms, int(ends[-1]) + sq.offset_ms, sq, self._subquery_step)
        inner_steps = np.arange(grid.start_ms, grid.end_ms + 1, grid.step_ms, dtype=np.int64)
        inner = self._eval(sq.expr, inner_steps)
        assert isinstance(inner, Vector)
        inner = inner.compact()
        samples = [(inner_steps[p], v[p]) for v, p in zip(inner.values, inner.present)]
        return Matrix(inner.labels, samples, sq.range_ms, ends)

    # ------------------------------------------------------------------ operators

    def _negate(self, value: Value) -> Value:
        if isinstance(value, Scalar):
            return Scalar(-value.values)
        assert isinstance(value, Vector)
        return Vector(value.labels, -value.values, value.present).with_labels([drop_name(ls) for ls in value.labels])

    def _binary(self, expr: ast.BinaryOp, steps: np.ndarray) -> Value:
        lhs, rhs = self._eval(expr.lhs, steps), self._eval(expr.rhs, steps)
        if isinstance(lhs, Scalar) and isinstance(rhs, Scalar):
            return binary.scalars(expr.op, lhs, rhs, expr.return_bool)
        if isinstance(lhs, Vector) and isinstance(rhs, Scalar):
            return binary.vector_scalar(expr.op, lhs, rhs, False, expr.return_bool)
        if isinstance(lhs, Scalar) and isinstance(rhs, Vector):
            return binary.vector_scalar(expr.op, rhs, lhs, True, expr.return_bool)
        assert isinstance(lhs, Vector) and isinstance(rhs, Vector) and expr.matching is not None
        return binary.binary_vectors(expr.op, lhs, rhs, expr.matching, expr.return_bool)

    # ------------------------------------------------------------------ functions

    def _call(self, call: ast.Call, steps: np.ndarray) -> Value:
        name = call.name
        spec = FUNCTIONS[name]
        args = [ast.unwrap(a) for a in call.args]
        if name == "timestamp" and isinstance(args[0], ast.VectorSelector):
            return self._timestamps(args[0], steps)
        if ValueType.MATRIX in spec.args:
            return self._range_call(name, args, steps)
        if name == "time":
            return Scalar(steps / 1000)
        if name == "pi":
            return Scalar(np.full(steps.size, np.pi))
        values = [self._eval(a, steps) for a in args]
        first = values[0] if values else None
        if name in functions.MATH:
            return functions.math_function(name, first)
        if name in ("day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month", "year"):
            return functions.date_function(name, first, steps)
        if name == "clamp":
            return functions.clamp(first, values[1].values, values[2].values)
        if name == "clamp_min":
            return functions.clamp(first, values[1].values, None)
        if name == "clamp_max":
            return functions.clamp(first, None, values[1].values)
        if name == "round":
            return functions.round_to(first, values[1].values if len(values) > 1 else None)
        if name == "scalar":
            return functions.scalar(first)
        if name == "vector":
            return functions.vector(first)
        if name == "absent":
            labels = absent_labels(args[0].selector.matchers) if isinstance(args[0], ast.VectorSelector) else ()
            return functions.absent(first, labels)
        if name == "timestamp":
            return functions.dropped(first, np.broadcast_to(steps / 1000, first.values.shape))
        if name in ("sort", "sort_desc"):
            return _sorted(first, descending=name == "sort_desc") if steps.size == 1 else first
        if name == "label_replace":
            return functions.label_replace(first, *(v.value for v in values[1:]))
        if name == "label_join":
            return functions.label_join(first, values[1].value, values[2].value, [v.value for v in values[3:]])
        if name == "histogram_quantile":
            return functions.histogram_quantile(first.values, values[1])
        if name in ("histogram_count", "histogram_sum", "histogram_fraction"):
            return Vector.empty(steps.size)  # native histograms only: float series give nothing
        raise NotImplementedError(name)

    def _timestamps(self, vs: ast.VectorSelector, steps: np.ndarray) -> Vector:
        """``timestamp(selector)``: the sample's own time. Prometheus 2.42 reads a selector
        with ``@`` here at the ``@`` time and ignores its offset; so do we."""
        labels, _, times, present = self._latest(vs, steps, offset_ms=0 if vs.at is not None else None)
        return Vector(labels, times / 1000, present).with_labels([drop_name(ls) for ls in labels])

    def _range_argument(self, arg: ast.Expr, steps: np.ndarray) -> Matrix:
        """A range function's range argument. With ``@`` under a function evaluated at
        every step, its window moves with the step (the module doc says why)."""
        at = self._effective_at(arg.vector.at if isinstance(arg, ast.MatrixSelector) else getattr(arg, "at", None))
        if steps.size == 1 or at is None:
            value = self._eval(arg, steps)
            assert isinstance(value, Matrix)
            return value
        moved = at.resolve(self._start, self._end) + (steps - steps[0])
        if isinstance(arg, ast.MatrixSelector):
            vs = arg.vector
            series = self._series(vs)
            return Matrix([s.labels for s in series], [self._samples(s) for s in series], arg.range_ms, moved - vs.offset_ms)
        assert isinstance(arg, ast.Subquery)
        return self._subquery(ast.Subquery(arg.expr, arg.range_ms, arg.step_ms, arg.offset_ms, None), moved)

    def _range_call(self, name: str, args: list[ast.Expr], steps: np.ndarray) -> Vector:
        index = [i for i, a in enumerate(FUNCTIONS[name].args) if a is ValueType.MATRIX][0]
        matrix = self._range_argument(args[index], steps)
        scalars = [self._eval(a, steps).values for i, a in enumerate(args) if i != index]
        self._check_points(len(matrix.labels), steps.size)
        if name == "absent_over_time":
            return self._absent_over_time(matrix, args[index], steps)
        rows, t = len(matrix.samples), steps.size
        values, present = np.zeros((rows, t)), np.zeros((rows, t), bool)
        # Blocks of series small enough for their arrays to stay in the CPU's caches,
        # large enough that numpy's per-call overhead is spread over many windows.
        per_block = max(1, WINDOWS_PER_BLOCK // max(t, 1))
        for first in range(0, rows, per_block):
            self._checkpoint()
            block = slice(first, min(rows, first + per_block))
            values[block], present[block] = _range_block(name, matrix, matrix.samples[block], steps, scalars)
        labels = matrix.labels if name in KEEPS_METRIC_NAME else [drop_name(ls) for ls in matrix.labels]
        return merge_rows(labels, values, present)

    def _absent_over_time(self, matrix: Matrix, arg: ast.Expr, steps: np.ndarray) -> Vector:
        any_sample = np.zeros(steps.size, bool)
        for ts, _ in matrix.samples:
            lo, hi = bounds(ts, matrix.ends, matrix.range_ms)
            any_sample |= hi > lo
        labels = absent_labels(arg.vector.selector.matchers) if isinstance(arg, ast.MatrixSelector) else ()
        return Vector([labels], np.ones((1, steps.size)), ~any_sample[None, :])


WINDOWS_PER_BLOCK = 1 << 16


def _range_block(name: str, matrix: Matrix, samples: list[tuple[np.ndarray, np.ndarray]], steps: np.ndarray,
                 scalars: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """A range function over some series at once: their samples end to end, each
    (series, step) window an index range into them. Returns (values, present), one row
    per series."""
    rows, t = len(samples), steps.size
    sizes = np.array([ts.size for ts, _ in samples], dtype=np.int64)
    if not sizes.sum():
        return np.zeros((rows, t)), np.zeros((rows, t), bool)
    offsets = np.concatenate(([0], np.cumsum(sizes)))
    ts_all = np.concatenate([ts for ts, _ in samples])
    vs_all = np.concatenate([vs for _, vs in samples])
    first = np.zeros(ts_all.size, bool)
    first[offsets[:-1][sizes > 0]] = True
    lo, hi = np.empty((rows, t), np.int64), np.empty((rows, t), np.int64)
    for i, (ts, _) in enumerate(samples):
        lo[i], hi[i] = bounds(ts, matrix.ends, matrix.range_ms)
    lo, hi = (lo + offsets[:-1, None]).ravel(), (hi + offsets[:-1, None]).ravel()
    call = RangeCall(np.tile(matrix.ends, rows), matrix.range_ms, np.tile(steps, rows),
                     tuple(np.tile(x, rows) for x in scalars), first)
    value, present = RANGE_FUNCTIONS[name](ts_all, vs_all, lo, hi, call)
    return value.reshape(rows, t), (present & (hi > lo)).reshape(rows, t)


def _sorted(v: Vector, descending: bool) -> Vector:
    """An instant vector ordered by value, NaN last (``sort``/``sort_desc``); a range
    query's result is ordered by labels instead, so only one step is ever sorted."""
    v = v.compact()
    values = v.values[:, 0]
    key = -values if descending else values
    order = np.lexsort((np.where(np.isnan(values), 0.0, key), np.isnan(values)))
    return v.take(order)
