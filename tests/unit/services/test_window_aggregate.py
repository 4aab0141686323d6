"""The evaluator's running window aggregates equal ``aggregate`` over the same window,
bit for bit, whatever the values (NaN, ±Inf, huge, signed zeros) and however the window
slides."""

from __future__ import annotations

import math
import struct
from collections import deque

from hypothesis import given
from hypothesis import strategies as st

from domain.metrics.aggregations import Aggregation, aggregate
from domain.metrics.samples import Sample
from services.window_aggregate import WindowAggregate

values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e6, max_value=1e6),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.1, 1e308, -1e308, 1e-320, math.inf, -math.inf, math.nan]),
)
# Each step: a value to append, then how many of the oldest samples leave the window.
steps = st.lists(st.tuples(values, st.integers(min_value=0, max_value=3)), min_size=1, max_size=60)
AGGREGATIONS = [Aggregation.SUM, Aggregation.AVG, Aggregation.MIN, Aggregation.MAX, Aggregation.COUNT,
                Aggregation.LAST, Aggregation.INCREASE, Aggregation.QUANTILE]


def bits(x: float) -> bytes:
    return struct.pack("<d", x) if x == x else b"nan"


@given(steps, st.sampled_from(AGGREGATIONS))
def test_the_running_aggregate_is_the_recomputed_one(script, agg):
    q = 0.9 if agg is Aggregation.QUANTILE else None
    running, window = WindowAggregate(agg, q), deque()
    for i, (v, leave) in enumerate(script):
        s = Sample(1_000 + i, v)
        window.append(s)
        running.add(s)
        for _ in range(min(leave, len(window) - 1)):
            running.remove(window.popleft())
        assert bits(running.value(window)) == bits(aggregate(agg, list(window), q=q)), (agg, list(window))


def test_cancellation_stays_exact():
    running, window = WindowAggregate(Aggregation.SUM), deque()
    for i, v in enumerate([1e16, 1.0, -1e16, 3.0, 1e-300]):
        window.append(Sample(i, v))
        running.add(window[-1])
    running.remove(window.popleft())  # 1e16 leaves: 1 - 1e16 + 3 + 1e-300
    assert running.value(window) == aggregate(Aggregation.SUM, list(window)) == math.fsum([1.0, -1e16, 3.0, 1e-300])
