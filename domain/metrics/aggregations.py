"""Aggregations over a window of samples and across series, with Prometheus semantics.

Why Prometheus semantics: users bring PromQL habits and dashboards, and our data can
be exported to it, so the same question should get the same answer in both places.

Common rules:

* ``samples`` are sorted by timestamp and already restricted to the window; the
  caller (``query.evaluate_range``) does the windowing.
* Empty input gives NaN, except COUNT which gives 0.0.
* NaN and ±Inf are valid sample values and follow IEEE arithmetic: a sum or average
  holding a NaN is NaN, +Inf plus -Inf is NaN. MIN and MAX ignore NaN unless every
  value is NaN (as ``min_over_time`` and the ``min`` operator do).
* Sums are exact-then-rounded (``math.fsum``, like Prometheus' Kahan summation),
  and an intermediate overflow of finite values does not turn a finite result into
  Inf.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from fractions import Fraction

from domain.errors import ValidationError
from domain.metrics.samples import Sample

NAN = math.nan


class Aggregation(str, enum.Enum):
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    SUM = "sum"
    COUNT = "count"
    LAST = "last"
    RATE = "rate"
    INCREASE = "increase"
    QUANTILE = "quantile"


COUNTER_AGGREGATIONS = frozenset({Aggregation.RATE, Aggregation.INCREASE})


def coerce_aggregation(value: Aggregation | str, *, field: str = "function") -> Aggregation:
    """An ``Aggregation`` from itself or its name (``"avg"``), else a ValidationError."""
    try:
        return Aggregation(value)
    except ValueError:
        names = ", ".join(a.value for a in Aggregation)
        raise ValidationError(f"unknown aggregation {value!r}; use one of {names}", field=field) from None


def aggregate(agg: Aggregation, samples: Sequence[Sample], *, q: float | None = None) -> float:
    """Apply ``agg`` to one series' samples in a window (``*_over_time`` in PromQL).

    LAST is the newest sample's value; RATE and INCREASE are the counter functions
    below; QUANTILE needs ``q`` (ValidationError on field ``q`` without it).
    """
    agg = coerce_aggregation(agg)
    if agg is Aggregation.QUANTILE and q is None:
        raise ValidationError("the quantile aggregation needs q", field="q")
    if agg is Aggregation.COUNT:
        return float(len(samples))
    if not samples:
        return NAN
    if agg is Aggregation.RATE:
        return rate(samples)
    if agg is Aggregation.INCREASE:
        return increase(samples)
    if agg is Aggregation.LAST:
        return float(samples[-1].value)
    return combine(agg, [s.value for s in samples], q=q)


def combine(agg: Aggregation, values: Sequence[float], *, q: float | None = None) -> float:
    """Aggregate values of several series at one instant (PromQL's ``sum``, ``avg``, ...).

    LAST takes the last value given (callers pass series in a meaningful order).
    RATE and INCREASE are per-series functions and are refused here.
    """
    agg = coerce_aggregation(agg, field="group_aggregation")
    if agg in COUNTER_AGGREGATIONS:
        raise ValidationError(
            f"{agg.value} is a per-series function and cannot combine series", field="group_aggregation"
        )
    if agg is Aggregation.QUANTILE and q is None:
        raise ValidationError("the quantile aggregation needs q", field="q")
    if agg is Aggregation.COUNT:
        return float(len(values))
    if not values:
        return NAN
    if agg is Aggregation.SUM:
        return fsum(values)
    if agg is Aggregation.AVG:
        return _mean(values)
    if agg is Aggregation.MIN:
        return _extreme(values, min)
    if agg is Aggregation.MAX:
        return _extreme(values, max)
    if agg is Aggregation.LAST:
        return float(values[-1])
    assert agg is Aggregation.QUANTILE and q is not None
    return quantile(q, values)


def fsum(values: Sequence[float]) -> float:
    """The correctly rounded sum, with IEEE results for NaN/Inf and no spurious overflow.

    ``math.fsum`` raises on +Inf + -Inf and on an intermediate overflow; here the first
    is NaN (as plain float addition gives) and the second is summed exactly with
    fractions (rare, so its cost does not matter): ``[1e308, 1e308, -1e308]`` is 1e308.
    """
    special = _special_sum(values)
    if special is not None:
        return special
    try:
        return math.fsum(values)
    except OverflowError:
        return _to_float(sum(map(Fraction, values), Fraction(0)))


def _to_float(exact: Fraction) -> float:
    try:
        return float(exact)
    except OverflowError:
        return math.inf if exact > 0 else -math.inf


def _special_sum(values: Sequence[float]) -> float | None:
    pos = neg = False
    for v in values:
        if v != v:
            return NAN
        if v == math.inf:
            pos = True
        elif v == -math.inf:
            neg = True
    if pos and neg:
        return NAN
    if pos or neg:
        return math.inf if pos else -math.inf
    return None


def _mean(values: Sequence[float]) -> float:
    total = fsum(values)
    if math.isinf(total) and _special_sum(values) is None:
        # The finite values' sum overflowed; their mean cannot.
        return _to_float(sum(map(Fraction, values), Fraction(0)) / len(values))
    return total / len(values)


def _extreme(values: Sequence[float], pick: Callable[[list[float]], float]) -> float:
    real = [v for v in values if v == v]
    return float(pick(real)) if real else NAN


def increase(samples: Sequence[Sample]) -> float:
    """How much a counter grew over the samples, counting resets.

    Over consecutive pairs (a, b): ``b - a`` if ``b >= a``, else ``b`` (a decrease is a
    reset: the counter restarted from 0 and has counted b since). Fewer than two
    samples give NaN; a NaN anywhere gives NaN.

    There is deliberately NO extrapolation to the window edges (unlike Prometheus'
    ``increase``): the result is what the samples show, like VictoriaMetrics'
    ``increase_pure`` or Prometheus' ``xincrease``, so integer counters give integer
    increases and the sum over adjacent windows equals the increase over their union
    (when the windows share their boundary samples).
    """
    if len(samples) < 2:
        return NAN
    values = [float(s.value) for s in samples]
    if not all(math.isfinite(v) for v in values):
        # IEEE arithmetic on the pairwise terms decides what Inf and NaN give.
        terms = [b - a if b >= a else b for a, b in zip(values, values[1:])]
        return fsum(terms)
    # Telescoped form, exactly rounded: last - first + the value before each reset.
    resets = [a for a, b in zip(values, values[1:]) if b < a]
    return fsum([values[-1], -values[0], *resets])


def rate(samples: Sequence[Sample]) -> float:
    """Per-second growth of a counter: ``increase / ((last_ts - first_ts) / 1000)``.

    No extrapolation (see ``increase``). NaN with fewer than two samples or when they
    all share one timestamp (no time passed, so no rate).
    """
    if len(samples) < 2:
        return NAN
    span_s = (samples[-1].timestamp_ms - samples[0].timestamp_ms) / 1000.0
    if span_s <= 0:
        return NAN
    return increase(samples) / span_s


def _nan_first(v: float) -> tuple[bool, float]:
    return (v == v, v)


def quantile(q: float, values: Sequence[float]) -> float:
    """The q-quantile of ``values`` as Prometheus' ``quantile``/``quantile_over_time``.

    Sorted values, rank ``q * (n - 1)``, linear interpolation between the neighbours
    ``lo * (1 - w) + hi * w``. ``q < 0`` gives -Inf, ``q > 1`` +Inf, NaN ``q`` or no
    values NaN. NaN values sort before everything (as in Prometheus). One refinement:
    when the rank is a whole number the value at it is returned as is, so an infinite
    neighbour cannot produce ``Inf * 0 = NaN``.
    """
    if not values or q != q:
        return NAN
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    ordered = sorted((float(v) for v in values), key=_nan_first)
    rank = q * (len(ordered) - 1)
    lower = math.floor(rank)
    upper = min(len(ordered) - 1, lower + 1)
    weight = rank - lower
    if weight == 0:
        return ordered[lower]
    return ordered[lower] * (1 - weight) + ordered[upper] * weight


def histogram_quantile(q: float, buckets: Sequence[tuple[float, float]]) -> float:
    """The q-quantile of a classic histogram, as Prometheus' ``histogram_quantile``.

    ``buckets`` are ``(upper_bound, cumulative_count)`` pairs in any order (sorted
    here). Like Prometheus: NaN ``q`` gives NaN, ``q < 0`` -Inf, ``q > 1`` +Inf; there
    must be a +Inf bucket and at least two buckets, and some observations, else NaN;
    buckets sharing a bound are merged (their counts summed); counts that decrease with
    the bound (scrape races) are raised to the running maximum. The rank ``q * total``
    is located in the first bucket whose cumulative count reaches it and interpolated
    linearly inside it; the first bucket's lower bound is 0 when its upper bound is
    positive, else the answer is that upper bound; a rank in the +Inf bucket gives the
    largest finite bound.

    Deviations, for inputs where Prometheus has no sensible answer: a NaN bound or
    count gives NaN; ``q = 0`` gives the lower bound of the first non-empty bucket
    (Prometheus computes 0/0 = NaN when the first bucket is empty).
    """
    if not buckets or q != q:
        return NAN
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    merged: dict[float, float] = {}
    for bound, count in buckets:
        bound, count = float(bound), float(count)
        if bound != bound or count != count:
            return NAN
        merged[bound] = merged.get(bound, 0.0) + count
    bounds = sorted(merged)
    if len(bounds) < 2 or bounds[-1] != math.inf:
        return NAN
    counts: list[float] = []
    running = -math.inf
    for b in bounds:
        running = max(running, merged[b])
        counts.append(running)
    total = counts[-1]
    if not total > 0:
        return NAN
    rank = q * total
    last = len(bounds) - 1
    b = next((i for i in range(last) if counts[i] >= rank and counts[i] > 0), last)
    if b == last:
        return bounds[-2]
    if b == 0 and bounds[0] <= 0:
        return bounds[0]
    start = bounds[b - 1] if b > 0 else 0.0
    below = counts[b - 1] if b > 0 else 0.0
    return start + (bounds[b] - start) * ((rank - below) / (counts[b] - below))
