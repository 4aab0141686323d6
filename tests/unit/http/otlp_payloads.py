"""Golden OTLP requests built with the official opentelemetry-proto classes."""

from __future__ import annotations

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.metrics.v1 import metrics_pb2 as m

from tests.unit.http.conftest import NOW_MS

NS = 1_000_000
T = NOW_MS * NS  # the fake clock's "now" in nanoseconds


def kv(key: str, value) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    if isinstance(value, list):
        return KeyValue(key=key, value=AnyValue(array_value=ArrayValue(values=[kv("", v).value for v in value])))
    if isinstance(value, dict):
        return KeyValue(key=key, value=AnyValue(kvlist_value=KeyValueList(values=[kv(k, v) for k, v in value.items()])))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def attrs(d: dict) -> list[KeyValue]:
    return [kv(k, v) for k, v in d.items()]


RESOURCE = {"service.name": "checkout", "service.namespace": "shop", "service.instance.id": "pod-1",
            "deployment.environment": "prod", "telemetry.sdk.language": "python", "host.arch": "amd64"}


def request(metrics: list[m.Metric], resource: dict | None = None, scope=("app.meter", "1.2.0")) -> ExportMetricsServiceRequest:
    return ExportMetricsServiceRequest(resource_metrics=[m.ResourceMetrics(
        resource={"attributes": attrs(RESOURCE if resource is None else resource)},
        scope_metrics=[m.ScopeMetrics(scope={"name": scope[0], "version": scope[1]}, metrics=metrics)],
    )])


def gauge(name="process.cpu.utilization", unit="1", value=0.25, labels=None, t=T) -> m.Metric:
    return m.Metric(name=name, unit=unit, gauge=m.Gauge(data_points=[
        m.NumberDataPoint(time_unix_nano=t, as_double=value, attributes=attrs(labels or {"cpu": 0}))]))


def counter(name="http.server.requests", unit="{request}", values=(3, 5), labels=None, temporality=2, monotonic=True) -> m.Metric:
    points = [m.NumberDataPoint(time_unix_nano=T - (len(values) - 1 - i) * 10_000 * NS, start_time_unix_nano=T - 3_600_000 * NS,
                                as_int=v, attributes=attrs(labels or {"http.method": "GET", "http.route": "/cart"}))
              for i, v in enumerate(values)]
    return m.Metric(name=name, unit=unit, sum=m.Sum(data_points=points, aggregation_temporality=temporality, is_monotonic=monotonic))


def histogram(name="http.server.duration", unit="ms", temporality=2) -> m.Metric:
    point = m.HistogramDataPoint(time_unix_nano=T, count=6, sum=1234.5, explicit_bounds=[10, 100, 1000],
                                 bucket_counts=[1, 2, 2, 1], attributes=attrs({"http.route": "/cart"}))
    return m.Metric(name=name, unit=unit, histogram=m.Histogram(data_points=[point], aggregation_temporality=temporality))


def exp_histogram(name="rpc.latency", unit="s", scale=1) -> m.Metric:
    # scale 1: base sqrt(2); positive buckets from index 0: (1, 1.41], (1.41, 2], (2, 2.83], (2.83, 4]
    point = m.ExponentialHistogramDataPoint(
        time_unix_nano=T, count=12, sum=30.0, scale=scale, zero_count=2, zero_threshold=0.0,
        positive=m.ExponentialHistogramDataPoint.Buckets(offset=0, bucket_counts=[1, 2, 3, 4]),
        negative=m.ExponentialHistogramDataPoint.Buckets(offset=0, bucket_counts=[]),
        attributes=attrs({"rpc.method": "Get"}))
    return m.Metric(name=name, unit=unit, exponential_histogram=m.ExponentialHistogram(data_points=[point], aggregation_temporality=2))


def summary(name="gc.pause", unit="s") -> m.Metric:
    point = m.SummaryDataPoint(time_unix_nano=T, count=10, sum=2.5, quantile_values=[
        m.SummaryDataPoint.ValueAtQuantile(quantile=0.5, value=0.2), m.SummaryDataPoint.ValueAtQuantile(quantile=0.99, value=0.9)])
    return m.Metric(name=name, unit=unit, summary=m.Summary(data_points=[point]))


def everything() -> ExportMetricsServiceRequest:
    return request([gauge(), counter(), histogram(), exp_histogram(), summary(),
                    counter(name="queue.depth.change", unit="", values=(4,), temporality=1, monotonic=False, labels={"queue": "a"})])
