"""Results in Prometheus' JSON shapes, values printed as Prometheus prints them."""

from __future__ import annotations

import json
import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from domain.promql.gofloat import format_sample
from services.promql.result import QueryResult, QueryStats, format_time, format_values


def test_timestamps_are_seconds_with_milliseconds_only_when_there_are_any():
    assert [format_time(t) for t in (1_700_000_000_000, 1_700_000_000_500, 1_700_000_000_007, -1_500, 0)] == [
        "1700000000", "1700000000.5", "1700000000.007", "-1.5", "0"]


@given(st.lists(st.floats() | st.sampled_from([0.0, -0.0, 1e15, 1e16, 1e-4, 1e21, 3.0]), max_size=40))
def test_arrays_print_each_value_as_one_at_a_time(values):
    array = np.array(values, dtype=np.float64)
    assert format_values(array) == [format_sample(v) for v in values]
    result = QueryResult("matrix", labels=[(("a", "1"),)], points=[(np.arange(array.size, dtype=np.int64) * 1500, array)])
    if values:
        got = result.data()["result"][0]["values"]
        assert [v for _, v in got] == [format_sample(v) for v in values]
        assert [t for t, _ in got] == [i * 1.5 for i in range(len(values))]


def test_every_result_type_has_prometheus_shape():
    vector = QueryResult("vector", labels=[(("__name__", "up"), ("job", "a"))], values=np.array([1.0]), at_ms=1_000)
    assert vector.data() == {"resultType": "vector", "result": [{"metric": {"__name__": "up", "job": "a"}, "value": [1, "1"]}]}
    scalar = QueryResult("scalar", scalar=math.nan, at_ms=1_500)
    assert scalar.data() == {"resultType": "scalar", "result": [1.5, "NaN"]}
    string = QueryResult("string", string='say "hi"', at_ms=2_000)
    assert string.data() == {"resultType": "string", "result": [2, 'say "hi"']}
    matrix = QueryResult("matrix", labels=[()], points=[(np.array([1_000, 2_000]), np.array([math.inf, -math.inf]))])
    assert json.loads(matrix.json()) == {"resultType": "matrix", "result": [{"metric": {}, "values": [[1, "+Inf"], [2, "-Inf"]]}]}


def test_stats_in_prometheus_shape():
    stats = QueryStats(series_read=3, samples_read=40, result_points=7, timings={"eval": 0.5, "read": 0.25, "total": 1.0})
    out = stats.to_prometheus()
    assert out["samples"] == {"totalQueryableSamples": 40, "peakSamples": 7}
    assert out["timings"]["evalTotalTime"] == 0.5 and out["timings"]["execTotalTime"] == 1.0
