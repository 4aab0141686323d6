"""Go's number text (strconv.FormatFloat / ParseFloat) as Prometheus prints and reads it."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from domain.promql.gofloat import format_f, format_sample, parse_float


def test_sample_values_print_as_prometheus_prints_them():
    cases = [
        (0.0, "0"), (-0.0, "-0"), (1.0, "1"), (-3.0, "-3"), (0.1, "0.1"), (123.456, "123.456"),
        (1e15, "1000000000000000"), (1e20, "100000000000000000000"), (1e21, "1e+21"), (1.5e21, "1.5e+21"),
        (5e-5, "0.00005"), (1e-6, "0.000001"), (1e-7, "1e-07"), (2.5e-10, "2.5e-10"), (math.nan, "NaN"),
        (math.inf, "+Inf"), (-math.inf, "-Inf"),
    ]
    assert [(v, format_sample(v)) for v, _ in cases] == cases


def test_count_values_labels_never_use_an_exponent():
    assert format_f(1e21) == "1000000000000000000000"
    assert format_f(1e-7) == "0.0000001"
    assert format_f(2.0) == "2"
    assert format_f(math.nan) == "NaN"


@given(st.floats(allow_nan=False))
def test_printed_values_read_back_exactly(v):
    assert float(format_sample(v)) == v
    assert float(format_f(v)) == v
    assert parse_float(format_sample(v)) == v


def test_parse_float_reads_what_go_reads_and_refuses_what_it_refuses():
    assert parse_float("+Inf") == math.inf and parse_float("-inf") == -math.inf and math.isnan(parse_float("NaN"))
    assert parse_float("0x1p-2") == 0.25
    assert parse_float("1e3") == 1000.0
    for text in ("", " 1", "1 ", "1_000", "0x10", "abc", "--1"):
        assert parse_float(text) is None, text
