"""The documented OTLP -> series mapping (docs/ingest.md), rule by rule, and the
exponential-histogram conversion."""

from __future__ import annotations

import math

import hypothesis.strategies as st
import pytest
from hypothesis import given

from adapters.http.ingest_formats.histograms import exponential_to_explicit
from adapters.http.ingest_formats.otlp_mapping import OtlpOptions, attributes_to_labels, label_name, metric_name, to_series
from adapters.http.ingest_formats.series import is_stale_nan
from domain.errors import LimitExceeded, ValidationError
from opentelemetry.proto.metrics.v1 import metrics_pb2 as m
from tests.unit.http import otlp_payloads as op

OPTS = OtlpOptions()


@pytest.mark.parametrize(("name", "unit", "kind", "expected"), [
    ("http.server.duration", "ms", "other", "http_server_duration_milliseconds"),
    ("http.server.requests", "{request}", "counter", "http_server_requests_total"),
    ("requests_total", "", "counter", "requests_total"),
    ("system.memory.usage", "By", "gauge", "system_memory_usage_bytes"),
    ("cpu.utilization", "1", "gauge", "cpu_utilization_ratio"),
    ("cpu.utilization", "1", "other", "cpu_utilization"),
    ("net.io", "By/s", "gauge", "net_io_bytes_per_second"),
    ("packets", "{packet}/s", "gauge", "packets_per_second"),
    ("latency.seconds", "s", "other", "latency_seconds"),
    ("2xx.responses", "", "counter", "_2xx_responses_total"),
    ("weird..name--x", "", "gauge", "weird_name_x"),
    ("temp", "Cel", "gauge", "temp_celsius"),
    ("custom", "widgets", "gauge", "custom_widgets"),
])
def test_metric_names(name: str, unit: str, kind: str, expected: str) -> None:
    assert metric_name(name, unit, kind, OPTS) == expected


def test_suffixes_can_be_turned_off() -> None:
    assert metric_name("http.server.duration", "ms", "counter", OtlpOptions(add_suffixes=False)) == "http_server_duration"


def test_a_name_without_letters_is_refused() -> None:
    with pytest.raises(ValidationError):
        metric_name("...", "", "gauge", OPTS)


@pytest.mark.parametrize(("key", "expected"), [
    ("http.method", "http_method"), ("0day", "key_0day"), ("__secret", "key__secret"), ("ok_name", "ok_name"), ("a-b/c", "a_b_c"),
])
def test_label_names(key: str, expected: str) -> None:
    assert label_name(key) == expected


def test_attribute_values_and_collisions() -> None:
    labels = attributes_to_labels(op.attrs({"b.x": "2", "b_x": "1", "flag": True, "n": 42, "f": 1.5, "list": [1, "a"],
                                            "map": {"k": "v"}}))
    assert labels == {"b_x": "2;1", "flag": "true", "n": "42", "f": "1.5", "list": '[1,"a"]', "map": '{"k":"v"}'}


def _by_name(series) -> dict:
    out: dict = {}
    for s in series:
        out.setdefault(s.name, []).append(s)
    return out


def test_resource_mapping_promotion_and_target_info() -> None:
    res = {"service.name": "api", "service.instance.id": "i-1", "k8s.namespace.name": "prod", "os.type": "linux"}
    series = _by_name(to_series(op.request([op.gauge(name="g", unit="")], resource=res), OPTS))
    [g] = series["g"]
    assert g.labels == {"cpu": "0", "job": "api", "instance": "i-1", "k8s_namespace_name": "prod",
                        "otel_scope_name": "app.meter", "otel_scope_version": "1.2.0"}
    [info] = series["target_info"]
    assert info.labels == {"job": "api", "instance": "i-1", "os_type": "linux"} and info.samples == [[op.NOW_MS, 1.0]]


def test_point_attributes_win_over_promoted_but_not_over_job() -> None:
    res = {"service.name": "api", "host.name": "h1"}
    [g] = [s for s in to_series(op.request([op.gauge(name="g", unit="", labels={"host.name": "h2", "job": "mine"})], resource=res),
                                OPTS) if s.name == "g"]
    assert g.labels["host_name"] == "h2" and g.labels["job"] == "api"


def test_target_info_stays_within_the_label_limits() -> None:
    res = {"service.name": "api"} | {f"attr.{i:02}": "v" for i in range(40)} | {"long": "x" * 2000}
    opts = OtlpOptions(max_labels=10, max_label_value_length=1024)
    [info] = [s for s in to_series(op.request([op.gauge(name="g", unit="")], resource=res), opts) if s.name == "target_info"]
    assert len(info.labels) == 10 and info.labels["job"] == "api" and "long" not in info.labels


def test_no_scope_labels_when_disabled_and_no_target_info_without_extra_attributes() -> None:
    opts = OtlpOptions(scope_labels=False)
    series = to_series(op.request([op.gauge(name="g", unit="")], resource={"service.name": "api"}), opts)
    assert [s.name for s in series] == ["g"] and "otel_scope_name" not in series[0].labels


def test_delta_histograms_are_stored_as_gauges_and_no_recorded_value_is_a_staleness_marker() -> None:
    hist = op.histogram(temporality=1)
    gone = op.gauge(name="gone", unit="")
    gone.gauge.data_points[0].flags = 1
    gone.gauge.data_points[0].ClearField("as_double")
    series = _by_name(to_series(op.request([hist, gone]), OPTS))
    assert {s.kind for s in series["http_server_duration_milliseconds_bucket"]} == {"gauge"}
    assert is_stale_nan(series["gone"][0].samples[0][1])


def test_a_point_without_value_and_mismatched_buckets_are_named() -> None:
    empty = op.gauge(name="g", unit="")
    empty.gauge.data_points[0].ClearField("as_double")
    bad = op.histogram()
    del bad.histogram.data_points[0].bucket_counts[-1]
    with pytest.raises(ValidationError) as exc:
        to_series(op.request([empty, bad]), OPTS)
    fields = [e.field for e in exc.value.errors]
    assert fields == ["resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0]",
                      "resourceMetrics[0].scopeMetrics[0].metrics[1].histogram.dataPoints[0].bucketCounts"]


def test_exponential_histogram_with_negative_and_zero_buckets() -> None:
    # scale 0: bucket i is (2**i, 2**(i+1)]; negative bucket i is [-2**(i+1), -2**i).
    pairs = exponential_to_explicit(0, 1, 0.5, {0: 2, 1: 3}, {1: 4}, 10)
    assert pairs == [(-2.0, 4), (0.5, 5), (2.0, 7), (4.0, 10), (math.inf, 10)]


def test_too_many_exponential_buckets_is_a_named_limit() -> None:
    big = op.exp_histogram()
    big.exponential_histogram.data_points[0].positive.bucket_counts.extend([1] * 10_001)
    with pytest.raises(LimitExceeded) as exc:
        to_series(op.request([big]), OPTS)
    assert exc.value.limit == "max_histogram_buckets"


@given(scale=st.integers(-3, 8), offset=st.integers(-200, 200), counts=st.lists(st.integers(0, 1000), max_size=40),
       zero=st.integers(0, 50))
def test_downscaling_keeps_every_observation(scale: int, offset: int, counts: list[int], zero: int) -> None:
    total = sum(counts) + zero
    pos = {offset + k: float(c) for k, c in enumerate(counts) if c}
    pairs = exponential_to_explicit(scale, zero, 0.0, pos, {}, total)
    bounds = [b for b, _ in pairs]
    cums = [c for _, c in pairs]
    assert bounds == sorted(set(bounds)) and bounds[-1] == math.inf
    assert cums == sorted(cums) and cums[-1] == total
    if len(pairs) > 1 and (offset + len(counts)) * 2.0 ** -scale < 1024:
        assert cums[-2] == total  # every observation lies below the last finite bound (none beyond float max)
    # At scale <= 0 every finite bound is a power of two (exact, readable le labels).
    assert all(b == 0 or math.frexp(abs(b))[0] == 0.5 for b in bounds[:-1])


def test_sum_temporality_values() -> None:
    # An exponential histogram with scale outside OTLP's range is refused.
    bad = op.exp_histogram(scale=21)
    with pytest.raises(ValidationError):
        to_series(op.request([bad]), OPTS)
    assert m.AGGREGATION_TEMPORALITY_DELTA == 1 and m.AGGREGATION_TEMPORALITY_CUMULATIVE == 2
