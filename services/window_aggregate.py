"""Sliding-window aggregations in O(1) amortised per sample, equal to recomputing them.

Why: a threshold rule is evaluated on every sample, and ``domain.metrics.aggregations
.aggregate`` walks the whole window each time: ``avg`` over 5 minutes of a 10 Hz series
is 3,000 values per sample, which made the evaluator the bottleneck of ingest. Here
each sample is added once and removed once:

* SUM and AVG keep the window's finite values as an exact sum (Shewchuk's
  non-overlapping partials, the algorithm behind ``math.fsum``; removing a value is
  adding its negation, also exact), plus counts of NaN, +Inf and -Inf. ``math.fsum`` of
  the partials is the correctly rounded exact sum, which is what ``aggregate`` returns,
  bit for bit.
* MIN and MAX keep monotonic deques of the non-NaN samples (ties keep the older one,
  as ``min``/``max`` return the first extreme).
* COUNT and LAST are O(1) already; RATE, INCREASE and QUANTILE are recomputed.

Whenever the running figure could differ from ``aggregate`` (a finite value so large
that the partials could overflow, or an overflowing mean), it defers to ``aggregate``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence

from domain.metrics.aggregations import Aggregation, aggregate
from domain.metrics.samples import Sample

_BIG = 1e300  # beyond this a few thousand partial sums could overflow: recompute instead
RUNNING = frozenset({Aggregation.SUM, Aggregation.AVG, Aggregation.MIN, Aggregation.MAX})


def _grow(partials: list[float], x: float) -> None:
    """Add ``x`` to the exact sum held as non-overlapping ``partials`` (Shewchuk)."""
    i = 0
    for y in partials:
        if abs(x) < abs(y):
            x, y = y, x
        hi = x + y
        lo = y - (hi - x)
        if lo:
            partials[i] = lo
            i += 1
        x = hi
    partials[i:] = [x]


class WindowAggregate:
    """The running aggregate of a window the caller appends to and pops from the left."""

    __slots__ = ("agg", "q", "partials", "nan", "pos_inf", "neg_inf", "big", "extremes")

    def __init__(self, agg: Aggregation, q: float | None = None) -> None:
        self.agg = agg
        self.q = q
        self.partials: list[float] = []
        self.nan = self.pos_inf = self.neg_inf = self.big = 0
        self.extremes: deque[Sample] = deque()  # MIN: increasing values; MAX: decreasing

    def add(self, s: Sample) -> None:
        agg, v = self.agg, s.value
        if agg is Aggregation.SUM or agg is Aggregation.AVG:
            self._count(v, 1)
        elif agg is Aggregation.MIN or agg is Aggregation.MAX:
            if v != v:
                return
            ext = self.extremes
            if agg is Aggregation.MIN:
                while ext and ext[-1].value > v:
                    ext.pop()
            else:
                while ext and ext[-1].value < v:
                    ext.pop()
            ext.append(s)

    def remove(self, s: Sample) -> None:
        """``s`` left the window: it must be the oldest sample added and not yet removed."""
        agg = self.agg
        if agg is Aggregation.SUM or agg is Aggregation.AVG:
            self._count(s.value, -1)
        elif (agg is Aggregation.MIN or agg is Aggregation.MAX) and self.extremes and self.extremes[0].timestamp_ms == s.timestamp_ms:
            self.extremes.popleft()

    def _count(self, v: float, sign: int) -> None:
        if v != v:
            self.nan += sign
        elif v == math.inf:
            self.pos_inf += sign
        elif v == -math.inf:
            self.neg_inf += sign
        elif abs(v) > _BIG:
            self.big += sign  # kept out of the partials (they could overflow): recomputed while present
        else:
            _grow(self.partials, v if sign > 0 else -v)
            if len(self.partials) > 64:  # cannot happen for exact partials; a guard, not a path
                self.partials = [math.fsum(self.partials)]

    def value(self, window: Sequence[Sample]) -> float:
        """The aggregate of ``window`` (the samples added and not removed)."""
        agg = self.agg
        if agg not in RUNNING or not window or self.big:
            return aggregate(agg, window, q=self.q)
        if agg is Aggregation.MIN or agg is Aggregation.MAX:
            return float(self.extremes[0].value) if self.extremes else math.nan
        if self.nan or (self.pos_inf and self.neg_inf):
            return math.nan
        if self.pos_inf or self.neg_inf:
            return math.inf if self.pos_inf else -math.inf
        total = math.fsum(self.partials)
        if agg is Aggregation.SUM:
            return total
        if math.isinf(total):
            return aggregate(agg, window)  # the finite values' sum overflowed; their mean cannot
        return total / len(window)
