"""The PromQL engine: parse, read through the ``SampleStore`` port within the query's
limits, evaluate off the event loop, return results in Prometheus' shapes.

The order of work protects the service: the query is parsed and its time ranges
computed first; every selector's series and sample counts are asked of the store
(``match_series``) and checked against the limits *before* any sample is loaded; the
samples are read in batches with the deadline checked between them; evaluation runs
in a thread pool (numpy releases the GIL in its loops, and the event loop keeps
serving other requests), checking the deadline between nodes. A tenant runs at most
``max_concurrent_per_tenant`` queries at once; its others wait (within their deadline),
so one tenant cannot take the whole pool from the others.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import lru_cache

import numpy as np

from domain.errors import QueryCanceled, QueryLimitExceeded, QueryTimeout
from domain.metrics.query import Selector
from domain.promql import ast
from domain.promql.errors import PromQLError, PromQLSyntaxError
from domain.promql.labels import Labels, series_labels
from domain.promql.timing import DEFAULT_LOOKBACK_MS, DEFAULT_SUBQUERY_STEP_MS, selector_ranges
from domain.promql.types import ValueType
from ports.samples import SampleStore
from services.promql import parsing
from services.promql.evaluator import Evaluator, SelectedSeries
from services.promql.limits import Deadline, QueryLimits, over
from services.promql.result import QueryResult, QueryStats
from services.promql.values import Matrix, Scalar, String, Vector

READ_BATCH = 500  # series per read call: the deadline is checked between calls


def prometheus_error_type(exc: Exception) -> str | None:
    """The ``errorType`` Prometheus' API gives ``exc`` (None: not a query error).
    Limits are ``execution`` errors there too ("query processing would load too many
    samples into memory"); a deadline is ``timeout``, a cancellation ``canceled``."""
    if isinstance(exc, PromQLError):
        return exc.error_type
    if isinstance(exc, QueryTimeout):
        return "timeout"
    if isinstance(exc, QueryCanceled):
        return "canceled"
    if isinstance(exc, QueryLimitExceeded):
        return "execution"
    return None


def _consume(future: asyncio.Future) -> None:
    """Collect the outcome of an evaluation nobody waits for any more (its caller timed
    out or went away), so asyncio does not report it as never retrieved."""
    if not future.cancelled():
        future.exception()


@lru_cache(maxsize=1024)
def _parse(query: str) -> ast.Expr:
    return parsing.parse(query)


class PromQLEngine:
    """Evaluates PromQL for a tenant over a sample store (built by the container)."""

    def __init__(
        self, store: SampleStore, limits: QueryLimits = QueryLimits(), *, lookback_ms: int = DEFAULT_LOOKBACK_MS,
        subquery_step_ms: int = DEFAULT_SUBQUERY_STEP_MS, workers: int = 4, executor: Executor | None = None,
    ) -> None:
        self._store = store
        self.limits = limits
        self._lookback = lookback_ms
        self._subquery_step = subquery_step_ms
        self._executor = executor or ThreadPoolExecutor(max_workers=workers, thread_name_prefix="promql")
        # Per event loop (an asyncio semaphore belongs to one), per tenant.
        self._tenant_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = (
            weakref.WeakKeyDictionary())

    # ------------------------------------------------------------------ text

    def parse(self, query: str) -> ast.Expr:
        """The expression tree; PromQLSyntaxError (``bad_data``) if the query is invalid."""
        return _parse(query)

    def format_query(self, query: str) -> str:
        return parsing.prettify(query)

    # ------------------------------------------------------------------ queries

    async def instant(self, tenant: str, query: str, at_ms: int, *, timeout_s: float | None = None,
                      lookback_ms: int | None = None) -> QueryResult:
        expr = self.parse(query)
        steps = np.array([at_ms], dtype=np.int64)
        return await self._run(tenant, expr, steps, at_ms, at_ms, timeout_s, lookback_ms, instant=True)

    async def range(self, tenant: str, query: str, start_ms: int, end_ms: int, step_ms: int, *,
                    timeout_s: float | None = None, lookback_ms: int | None = None) -> QueryResult:
        expr = self.parse(query)
        if expr.type not in (ValueType.SCALAR, ValueType.VECTOR):
            raise PromQLSyntaxError(
                f'invalid expression type "{expr.type.prometheus_name}" for range query, must be Scalar or instant Vector')
        if step_ms <= 0:
            raise PromQLSyntaxError("zero or negative query resolution step widths are not accepted. Try a positive integer")
        if end_ms < start_ms:
            raise PromQLSyntaxError("end timestamp must not be before start time")
        if (end_ms - start_ms) // step_ms > self.limits.max_steps:  # as Prometheus: (end - start) / step
            raise PromQLSyntaxError(
                f"exceeded maximum resolution of {self.limits.max_steps:,} points per timeseries. "
                "Try decreasing the query resolution (?step=XX)")
        steps = np.arange(start_ms, end_ms + 1, step_ms, dtype=np.int64)
        return await self._run(tenant, expr, steps, start_ms, end_ms, timeout_s, lookback_ms, instant=False)

    @asynccontextmanager
    async def _slot(self, tenant: str, deadline: Deadline):
        slots = self._tenant_slots.setdefault(asyncio.get_running_loop(), {})
        slot = slots.get(tenant)
        if slot is None:
            slot = slots[tenant] = asyncio.Semaphore(self.limits.max_concurrent_per_tenant)
        try:
            await asyncio.wait_for(slot.acquire(), deadline.remaining())
        except TimeoutError:
            raise QueryTimeout(f"query timed out waiting for one of the tenant's "
                               f"{self.limits.max_concurrent_per_tenant} query slots") from None
        try:
            yield
        finally:
            slot.release()

    async def _run(self, tenant: str, expr: ast.Expr, steps: np.ndarray, start_ms: int, end_ms: int,
                   timeout_s: float | None, lookback_ms: int | None, *, instant: bool) -> QueryResult:
        began = time.perf_counter()
        deadline = Deadline(self.limits.timeout_s if timeout_s is None else min(timeout_s, self.limits.timeout_s))
        lookback = self._lookback if lookback_ms is None else lookback_ms
        stats = QueryStats()
        async with self._slot(tenant, deadline):
            stats.timings["queue"] = time.perf_counter() - began
            t0 = time.perf_counter()
            occurrences = selector_ranges(expr, start_ms, end_ms, lookback_ms=lookback)
            data = await self._read(tenant, occurrences, deadline, stats)
            stats.timings["read"] = time.perf_counter() - t0
            evaluator = Evaluator(
                data, {id(vs): (lo, hi) for vs, lo, hi in occurrences},
                query_start_ms=start_ms, query_end_ms=end_ms, lookback_ms=lookback,
                subquery_step_ms=self._subquery_step, checkpoint=deadline.check, max_points=self.limits.max_points,
            )
            t0 = time.perf_counter()
            loop = asyncio.get_running_loop()
            work = loop.run_in_executor(self._executor, self._evaluate, evaluator, expr, steps, instant)
            try:
                result = await asyncio.wait_for(asyncio.shield(work), deadline.remaining() + 1.0)
            except TimeoutError:
                deadline.cancel()
                work.add_done_callback(_consume)
                raise QueryTimeout(f"query timed out in query execution (timeout {deadline.timeout_s:g}s)") from None
            except asyncio.CancelledError:
                deadline.cancel()  # the thread stops at its next checkpoint
                work.add_done_callback(_consume)
                raise
            stats.timings["eval"] = time.perf_counter() - t0
        stats.timings["total"] = time.perf_counter() - began
        stats.result_points = sum(p[0].size for p in result.points) if result.result_type == "matrix" else len(result)
        result.stats = stats
        return result

    # ------------------------------------------------------------------ reading

    async def _read(self, tenant: str, occurrences: list[tuple[ast.VectorSelector, int, int]], deadline: Deadline,
                    stats: QueryStats) -> dict[Selector, list[SelectedSeries]]:
        """Every selector's samples over the union of its occurrences' ranges, after
        checking the limits against the store's counts."""
        by_selector: dict[Selector, tuple[int, int]] = {}
        for vs, lo, hi in occurrences:
            old = by_selector.get(vs.selector)
            by_selector[vs.selector] = (lo, hi) if old is None else (min(old[0], lo), max(old[1], hi))
        limits = self.limits
        plans = []
        for selector, (lo, hi) in by_selector.items():
            matched = await self._timed(self._store.match_series(tenant, selector, lo, hi), deadline)
            stats.series_read += len(matched)
            stats.samples_read += sum(m.samples for m in matched)
            if stats.series_read > limits.max_series:
                raise over("selects", stats.series_read, limits.max_series, "max_series_per_query",
                           "narrow the selectors")
            if stats.samples_read > limits.max_samples:
                raise over("would read samples:", stats.samples_read, limits.max_samples, "max_samples_per_query",
                           "shorten the range or narrow the selectors")
            plans.append((selector, lo, hi, matched))
        data: dict[Selector, list[SelectedSeries]] = {}
        for selector, lo, hi, matched in plans:
            keys = [m.key for m in matched]
            selected = []
            for i in range(0, len(keys), READ_BATCH):
                deadline.check()
                for a in await self._timed(self._store.read_arrays(tenant, keys[i:i + READ_BATCH], lo, hi), deadline):
                    selected.append(SelectedSeries(series_labels(a.key.name, a.key.labels), a.timestamps, a.values))
            selected.sort(key=lambda s: s.labels)
            data[selector] = selected
        return data

    @staticmethod
    async def _timed(call, deadline: Deadline):
        try:
            return await asyncio.wait_for(call, deadline.remaining())
        except TimeoutError:
            raise QueryTimeout(f"query timed out reading samples (timeout {deadline.timeout_s:g}s)") from None

    # ------------------------------------------------------------------ evaluation (in the pool)

    def _evaluate(self, evaluator: Evaluator, expr: ast.Expr, steps: np.ndarray, instant: bool) -> QueryResult:
        value = evaluator.evaluate(expr, steps)
        t = int(steps[0])
        if isinstance(value, Scalar):
            if instant:
                return QueryResult("scalar", at_ms=t, scalar=float(value.values[0]))
            return QueryResult("matrix", labels=[()], points=[(steps, np.ascontiguousarray(value.values))])
        if isinstance(value, String):
            return QueryResult("string", at_ms=t, string=value.value)
        if isinstance(value, Matrix):
            labels, points = [], []
            for ls, (ts, vs) in zip(value.labels, value.samples):
                lo, hi = np.searchsorted(ts, value.ends[0] - value.range_ms, "left"), np.searchsorted(ts, value.ends[0], "right")
                if hi > lo:
                    labels.append(ls)
                    points.append((ts[lo:hi], vs[lo:hi]))
            return QueryResult("matrix", labels=labels, points=points, at_ms=t)
        assert isinstance(value, Vector)
        if instant:
            rows = np.flatnonzero(value.present[:, 0])
            self._check_result(rows.size)
            return QueryResult("vector", labels=[value.labels[i] for i in rows.tolist()],
                               values=value.values[rows, 0].copy(), at_ms=t)
        self._check_result(int(value.present.sum()))
        order = sorted((ls, i) for i, ls in enumerate(value.labels))
        labels, points = [], []
        for ls, i in order:
            p = value.present[i]
            if p.any():
                labels.append(ls)
                points.append((steps[p], value.values[i][p]))
        return QueryResult("matrix", labels=labels, points=points, at_ms=t)

    def _check_result(self, points: int) -> None:
        if points > self.limits.max_points:
            raise over("returns points:", points, self.limits.max_points, "max_points_per_query",
                       "use a larger step or aggregate")

    async def render(self, result: QueryResult) -> bytes:
        """``result.json()`` in the pool: a large result takes a while to print."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, result.json)

    # ------------------------------------------------------------------ metadata

    def _selectors(self, matchers: Sequence[str]) -> list[Selector]:
        out = []
        for text in matchers:
            expr = ast.unwrap(self.parse(text))
            if not isinstance(expr, ast.VectorSelector):
                raise PromQLSyntaxError(f"parse error: expected a series selector, got {text!r}")
            out.append(expr.selector)
        return out

    async def series(self, tenant: str, matchers: Sequence[str], start_ms: int | None, end_ms: int | None,
                     limit: int = 10_000) -> list[Labels]:
        """Label sets (with ``__name__``) of the series matching any of ``matchers``."""
        found = await self._store.series(tenant, self._selectors(matchers), start_ms, end_ms, limit)
        return [series_labels(i.key.name, i.key.labels) for i in found]

    async def _label_sets(self, tenant: str, matchers: Sequence[str], start_ms: int | None,
                          end_ms: int | None) -> tuple[list[Labels], bool]:
        """The label sets names and values are read from, at most ``max_series`` of them,
        and whether there were more (the names or values may then be incomplete)."""
        cap = self.limits.max_series
        found = await self.series(tenant, matchers, start_ms, end_ms, cap + 1)
        return found[:cap], len(found) > cap

    async def label_names(self, tenant: str, matchers: Sequence[str] = (), start_ms: int | None = None,
                          end_ms: int | None = None, limit: int = 10_000) -> tuple[list[str], bool]:
        """Sorted label names (at most ``limit``), and whether they were read from only
        the first ``max_series`` series of more."""
        sets, partial = await self._label_sets(tenant, matchers, start_ms, end_ms)
        return sorted({n for labels in sets for n, _ in labels})[:limit], partial

    async def label_values(self, tenant: str, name: str, matchers: Sequence[str] = (), start_ms: int | None = None,
                           end_ms: int | None = None, limit: int = 10_000) -> tuple[list[str], bool]:
        """Sorted values of ``name`` (at most ``limit``), and whether they were read from
        only the first ``max_series`` series of more."""
        sets, partial = await self._label_sets(tenant, matchers, start_ms, end_ms)
        return sorted({v for labels in sets for n, v in labels if n == name})[:limit], partial

    def close(self) -> None:
        if isinstance(self._executor, ThreadPoolExecutor):
            self._executor.shutdown(wait=False, cancel_futures=True)
