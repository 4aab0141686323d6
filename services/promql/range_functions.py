"""Functions of a range vector (``rate``, ``*_over_time``, ``deriv``...), vectorised
over every series and step at once: the samples of all series are concatenated and a
window is an index range into them (it never crosses from one series into the next);
each kernel returns ``(values, present)`` with one entry per (series, step).

Each follows Prometheus 2.42's ``functions.go`` step for step, including its order of
floating-point operations where that decides the last bits (Kahan sums, Welford,
Holt-Winters), which is why those walk the windows column by column
(``windows.padded``) instead of using prefix sums.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from domain.promql.errors import PromQLExecutionError
from services.promql.windows import kahan_add, padded, window_sum


@dataclass(frozen=True, slots=True)
class RangeCall:
    """What a range function sees besides the samples, per window (series × step):
    the window's end, the evaluation time and the scalar arguments; and which samples
    begin a series (no pair of neighbours reaches across them)."""

    ends: np.ndarray  # int64: each window's end (step time - offset, or the @ time)
    range_ms: int
    steps: np.ndarray  # int64: the evaluation times
    scalars: tuple[np.ndarray, ...] = ()
    first: np.ndarray | None = None  # bool per sample: the first of its series


Result = tuple[np.ndarray, np.ndarray]
Kernel = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, RangeCall], Result]


def _at(a: np.ndarray, i: np.ndarray) -> np.ndarray:
    return np.take(a, i, mode="clip")  # out-of-window indices only occur where the result is dropped


def _pairs(hit: np.ndarray, call: RangeCall) -> np.ndarray:
    """``hit`` over neighbour pairs, indexed by the later sample: False at a series'
    first sample, which has no neighbour before it."""
    out = np.concatenate(([False], hit)) if hit.dtype == bool else np.concatenate(([0.0], hit))
    if call.first is not None:
        out[call.first] = 0
    return out


def _extrapolated(counter: bool, rate: bool) -> Kernel:
    """rate, increase and delta (Prometheus' ``extrapolatedRate``)."""

    def kernel(ts: np.ndarray, vs: np.ndarray, lo: np.ndarray, hi: np.ndarray, call: RangeCall) -> Result:
        n = hi - lo
        ok = n >= 2
        first_v, last_v = _at(vs, lo), _at(vs, hi - 1)
        first_t, last_t = _at(ts, lo), _at(ts, hi - 1)
        result = last_v - first_v
        if counter:
            # A drop between neighbours is a reset: the value before it is added back.
            resets = _pairs(np.where(vs[1:] < vs[:-1], vs[:-1], 0.0), call)
            result = result + window_sum(resets, np.minimum(lo + 1, hi), hi)
        range_start = call.ends - call.range_ms
        to_start = (first_t - range_start) / 1000
        to_end = (call.ends - last_t) / 1000
        sampled = (last_t - first_t) / 1000
        average = sampled / np.maximum(n - 1, 1)
        if counter:
            to_zero = sampled * (first_v / result)
            to_start = np.where((result > 0) & (first_v >= 0) & (to_zero < to_start), to_zero, to_start)
        threshold = average * 1.1
        interval = sampled + np.where(to_start < threshold, to_start, average / 2)
        interval = interval + np.where(to_end < threshold, to_end, average / 2)
        result = result * (interval / sampled)
        if rate:
            result = result / (call.range_ms / 1000)
        return result, ok

    return kernel


def _instant(rate: bool) -> Kernel:
    """irate and idelta: the last two samples of the window."""

    def kernel(ts, vs, lo, hi, call):
        ok = hi - lo >= 2
        last, prev = _at(vs, hi - 1), _at(vs, hi - 2)
        dt = _at(ts, hi - 1) - _at(ts, hi - 2)
        if not rate:
            return last - prev, ok
        value = np.where(last < prev, last, last - prev)
        return value / (dt / 1000), ok & (dt != 0)

    return kernel


def _neighbour_count(hit: Callable[[np.ndarray], np.ndarray]) -> Kernel:
    def kernel(ts, vs, lo, hi, call):
        c = np.concatenate(([0], np.cumsum(_pairs(hit(vs), call))))  # c[i]: hits between samples j-1, j for j < i
        first = np.minimum(lo + 1, hi)
        return (c[np.maximum(hi, first)] - c[first]).astype(np.float64), hi > lo

    return kernel


def _changed(vs: np.ndarray) -> np.ndarray:
    a, b = vs[1:], vs[:-1]
    return (a != b) & ~(np.isnan(a) & np.isnan(b))


def _reset(vs: np.ndarray) -> np.ndarray:
    return vs[1:] < vs[:-1]


def _count(ts, vs, lo, hi, call):
    n = hi - lo
    return n.astype(np.float64), n > 0


def _present(ts, vs, lo, hi, call):
    return np.ones(lo.size), hi > lo


def _last(ts, vs, lo, hi, call):
    return _at(vs, hi - 1), hi > lo


def _sequential(init: Callable[[int], dict], step: Callable[[dict, np.ndarray, np.ndarray, np.ndarray, int], None],
                finish: Callable[[dict, np.ndarray], np.ndarray], need: int = 1) -> Kernel:
    """A kernel that visits each window's samples in order, as Prometheus' loop does:
    ``step(state, values, times, mask, j)`` sees the j-th sample of every window."""

    def kernel(ts, vs, lo, hi, call):
        out = np.zeros(lo.size)
        for w in padded(ts, vs, lo, hi):
            state = init(w.values.shape[0])
            for j in range(w.values.shape[1]):
                step(state, w.values[:, j], w.times[:, j], w.valid[:, j], j)
            out[w.rows] = finish(state, w.count)
        return out, (hi - lo) >= need

    return kernel


def _sum_step(s, v, t, mask, j):
    s["sum"], s["c"] = kahan_add(s["sum"], s["c"], v, mask)


def _sum_finish(s, count):
    return np.where(np.isinf(s["sum"]), s["sum"], s["sum"] + s["c"])


def _zeros(*names: str) -> Callable[[int], dict]:
    return lambda rows: {n: np.zeros(rows) for n in names}


def _avg_step(s, v, t, mask, j):
    count = j + 1.0
    mean = s["mean"]
    inf = np.isinf(mean)
    skip = inf & ((np.isinf(v) & ((mean > 0) == (v > 0))) | (~np.isinf(v) & ~np.isnan(v)))
    s["mean"], s["c"] = kahan_add(mean, s["c"], v / count - mean / count, mask & ~skip)


def _avg_finish(s, count):
    return np.where(np.isinf(s["mean"]), s["mean"], s["mean"] + s["c"])


def _var_step(s, v, t, mask, j):
    count = j + 1.0
    delta = v - (s["mean"] + s["cm"])
    s["mean"], s["cm"] = kahan_add(s["mean"], s["cm"], delta / count, mask)
    s["aux"], s["ca"] = kahan_add(s["aux"], s["ca"], delta * (v - (s["mean"] + s["cm"])), mask)


def _stdvar_finish(s, count):
    return (s["aux"] + s["ca"]) / count


def _extreme(reduce: np.ufunc) -> Kernel:
    """min/max_over_time: NaN only if every value is NaN (``v > max || isNaN(max)``)."""

    def kernel(ts, vs, lo, hi, call):
        out = np.zeros(lo.size)
        for w in padded(ts, vs, lo, hi):
            out[w.rows] = reduce.reduce(np.where(w.valid, w.values, np.nan), axis=1)
        return out, hi > lo

    return kernel


def go_quantile(q: np.ndarray, values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Prometheus' ``quantile`` per row: the rows' valid values sorted with NaN first,
    linear interpolation between the neighbours of rank ``q·(n-1)``; ±Inf outside [0, 1]."""
    n = valid.sum(axis=1)
    nan = np.isnan(values) & valid
    nans = nan.sum(axis=1)
    ordered = np.sort(np.where(valid & ~nan, values, np.nan), axis=1)  # non-NaN ascending, then NaN
    with np.errstate(invalid="ignore"):
        rank = q * (n - 1)
        lower = np.maximum(0, np.floor(rank))
        upper = np.minimum(n - 1, lower + 1)
        weight = rank - np.floor(rank)

    def pick(index: np.ndarray) -> np.ndarray:
        i = np.nan_to_num(index, nan=0).astype(np.int64)
        j = np.clip(i - nans, 0, max(values.shape[1] - 1, 0))
        got = np.take_along_axis(ordered, j[:, None], axis=1)[:, 0] if values.shape[1] else np.full(i.shape, np.nan)
        return np.where(i < nans, np.nan, got)

    out = pick(lower) * (1 - weight) + pick(upper) * weight
    out = np.where(q < 0, -np.inf, np.where(q > 1, np.inf, out))
    return np.where(n == 0, np.nan, out)


def _quantile_over_time(ts, vs, lo, hi, call):
    q = call.scalars[0]
    out = np.zeros(lo.size)
    for w in padded(ts, vs, lo, hi):
        out[w.rows] = go_quantile(q[w.rows], w.values, w.valid)
    return out, hi > lo


def _regression(icept: Callable[[RangeCall, slice, np.ndarray], np.ndarray]) -> Callable:
    """Prometheus' ``linearRegression`` (Kahan sums) per window: (slope, intercept)."""

    def fit(ts, vs, lo, hi, call):
        slope, intercept = np.zeros(lo.size), np.zeros(lo.size)
        for w in padded(ts, vs, lo, hi):
            rows = w.values.shape[0]
            at = icept(call, w.rows, w.times[:, 0])
            sx, cx, sy, cy, sxy, cxy, sx2, cx2 = (np.zeros(rows) for _ in range(8))
            init = w.values[:, 0]
            const = np.ones(rows, bool)
            for j in range(w.values.shape[1]):
                v, m = w.values[:, j], w.valid[:, j]
                if j:
                    const &= ~(m & (v != init))
                x = (w.times[:, j] - at) / 1e3
                sx, cx = kahan_add(sx, cx, x, m)
                sy, cy = kahan_add(sy, cy, v, m)
                sxy, cxy = kahan_add(sxy, cxy, x * v, m)
                sx2, cx2 = kahan_add(sx2, cx2, x * x, m)
            n = w.count.astype(np.float64)
            sx, sy, sxy, sx2 = sx + cx, sy + cy, sxy + cxy, sx2 + cx2
            cov = sxy - sx * sy / n
            var = sx2 - sx * sx / n
            k = cov / var
            b = sy / n - k * sx / n
            inf = np.isinf(init)
            slope[w.rows] = np.where(const, np.where(inf, np.nan, 0.0), k)
            intercept[w.rows] = np.where(const, np.where(inf, np.nan, init), b)
        return slope, intercept

    return fit


_fit_at_first = _regression(lambda call, rows, first_t: first_t)
_fit_at_step = _regression(lambda call, rows, first_t: call.steps[rows])


def _deriv(ts, vs, lo, hi, call):
    slope, _ = _fit_at_first(ts, vs, lo, hi, call)
    return slope, hi - lo >= 2


def _predict_linear(ts, vs, lo, hi, call):
    slope, intercept = _fit_at_step(ts, vs, lo, hi, call)
    return slope * call.scalars[0] + intercept, hi - lo >= 2


def _go_f(v: float) -> str:
    return f"{v:f}"


def _holt_winters(ts, vs, lo, hi, call):
    sf, tf = call.scalars
    called = hi > lo
    for name, factor in (("smoothing", sf), ("trend", tf)):
        bad = called & ~((factor > 0) & (factor < 1))
        if bad.any():
            short = "sf" if name == "smoothing" else "tf"
            raise PromQLExecutionError(
                f"invalid {name} factor. Expected: 0 < {short} < 1, got: {_go_f(float(factor[np.argmax(bad)]))}"
            )
    out = np.zeros(lo.size)
    for w in padded(ts, vs, lo, hi):
        r = w.rows
        a, t = sf[r], tf[r]
        s0 = np.zeros(w.values.shape[0])
        s1 = w.values[:, 0]
        b = (w.values[:, 1] - w.values[:, 0]) if w.values.shape[1] > 1 else np.zeros_like(s1)
        for i in range(1, w.values.shape[1]):
            m = w.valid[:, i]
            x = a * w.values[:, i]
            nb = b if i == 1 else t * (s1 - s0) + (1 - t) * b
            y = (1 - a) * (s1 + nb)
            s0, s1, b = np.where(m, s1, s0), np.where(m, x + y, s1), np.where(m, nb, b)
        out[r] = s1
    return out, hi - lo >= 2


RANGE_FUNCTIONS: dict[str, Kernel] = {
    "rate": _extrapolated(counter=True, rate=True),
    "increase": _extrapolated(counter=True, rate=False),
    "delta": _extrapolated(counter=False, rate=False),
    "irate": _instant(rate=True),
    "idelta": _instant(rate=False),
    "changes": _neighbour_count(_changed),
    "resets": _neighbour_count(_reset),
    "count_over_time": _count,
    "present_over_time": _present,
    "last_over_time": _last,
    "sum_over_time": _sequential(_zeros("sum", "c"), _sum_step, _sum_finish),
    "avg_over_time": _sequential(_zeros("mean", "c"), _avg_step, _avg_finish),
    "stdvar_over_time": _sequential(_zeros("mean", "cm", "aux", "ca"), _var_step, _stdvar_finish),
    "stddev_over_time": _sequential(_zeros("mean", "cm", "aux", "ca"), _var_step, lambda s, n: np.sqrt(_stdvar_finish(s, n))),
    "min_over_time": _extreme(np.fmin),
    "max_over_time": _extreme(np.fmax),
    "quantile_over_time": _quantile_over_time,
    "deriv": _deriv,
    "predict_linear": _predict_linear,
    "holt_winters": _holt_winters,
}
