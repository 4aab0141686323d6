"""OTLP/HTTP metrics at /v1/metrics: golden payloads from the official proto classes,
the documented mapping, every error mode, and fuzzing for server errors."""

from __future__ import annotations

import gzip
import json
import math

import hypothesis.strategies as st
import pytest
import zstandard
from google.protobuf import json_format
from hypothesis import HealthCheck, example, given, settings
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse

from adapters.http.ingest_formats.errors import MalformedPayload
from adapters.http.ingest_formats.otlp import parse_json, parse_protobuf
from adapters.http.ingest_formats.otlp_mapping import OtlpOptions, to_series
from domain.errors import ValidationError
from tests.unit.http import otlp_payloads as op
from tests.unit.http.conftest import NOW_MS, Api

PROBLEM = "application/problem+json"
PB = {"content-type": "application/x-protobuf"}
JS = {"content-type": "application/json"}


async def series_of(api: Api, match: str) -> list[dict]:
    await api.drain()
    return (await api.client.get("/api/v1/series", params={"match[]": match})).json()["series"]


async def post_pb(api: Api, message, **headers) -> object:
    return await api.client.post("/v1/metrics", content=message.SerializeToString(), headers=PB | headers)


async def test_every_metric_type_arrives_with_the_documented_names_and_labels(api: Api) -> None:
    resp = await post_pb(api, op.everything())
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/x-protobuf"
    ExportMetricsServiceResponse.FromString(resp.content)  # a valid, empty response

    common = {"job": "shop/checkout", "instance": "pod-1", "deployment_environment": "prod",
              "otel_scope_name": "app.meter", "otel_scope_version": "1.2.0"}
    [g] = await series_of(api, "process_cpu_utilization_ratio")
    assert g["labels"] == common | {"cpu": "0"} and g["kind"] == "gauge" and g["unit"] == "1"
    [c] = await series_of(api, "http_server_requests_total")
    assert c["kind"] == "counter"
    assert c["labels"] == common | {"http_method": "GET", "http_route": "/cart"}
    buckets = await series_of(api, "http_server_duration_milliseconds_bucket")
    assert sorted(b["labels"]["le"] for b in buckets) == sorted(["10", "100", "1000", "+Inf"])
    assert {b["kind"] for b in buckets} == {"histogram"}
    assert await series_of(api, "http_server_duration_milliseconds_sum")
    exp = await series_of(api, "rpc_latency_seconds_bucket")
    assert sorted(float(b["labels"]["le"]) for b in exp) == [0, 2, 4, math.inf]
    quantiles = await series_of(api, "gc_pause_seconds")
    assert sorted(q["labels"]["quantile"] for q in quantiles) == ["0.5", "0.99"]
    [delta] = await series_of(api, "queue_depth_change")
    assert delta["kind"] == "gauge"
    [info] = await series_of(api, "target_info")
    assert info["labels"] == {"job": "shop/checkout", "instance": "pod-1", "host_arch": "amd64", "telemetry_sdk_language": "python"}

    # Values: cumulative bucket counts, the counter's two points.
    qr = await api.client.get("/api/v1/query_range", params={
        "query": 'http_server_duration_milliseconds_bucket{le="100"}', "start": str(NOW_MS / 1000),
        "end": str(NOW_MS / 1000), "step": "1s"})
    assert qr.json()["data"]["result"][0]["values"] == [[NOW_MS / 1000, "3"]]
    qr = await api.client.get("/api/v1/query_range", params={
        "query": "http_server_requests_total", "start": str(NOW_MS / 1000 - 10), "end": str(NOW_MS / 1000), "step": "10s", "window": "1s"})
    assert [v for _, v in qr.json()["data"]["result"][0]["values"]] == ["3", "5"]


async def test_json_encoding_with_hex_ids_and_string_int64(api: Api) -> None:
    doc = json_format.MessageToDict(op.request([op.counter(values=(7,))]))
    point = doc["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["sum"]["dataPoints"][0]
    assert isinstance(point["asInt"], str) and isinstance(point["timeUnixNano"], str)  # int64 as strings
    point["exemplars"] = [{"asDouble": 1.0, "timeUnixNano": point["timeUnixNano"],
                           "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174"}]
    point["someFutureField"] = {"ignored": True}
    resp = await api.client.post("/v1/metrics", content=json.dumps(doc), headers=JS)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/json" and resp.json() == {}
    [c] = await series_of(api, "http_server_requests_total")
    assert c["labels"]["http_route"] == "/cart"


async def test_bad_hex_id_in_json_is_400_naming_the_field(api: Api) -> None:
    doc = json_format.MessageToDict(op.request([op.counter(values=(7,))]))
    point = doc["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["sum"]["dataPoints"][0]
    point["exemplars"] = [{"asDouble": 1.0, "traceId": "not-hex"}]
    resp = await api.client.post("/v1/metrics", content=json.dumps(doc), headers=JS)
    assert resp.status_code == 400
    body = resp.json()
    assert body["format"] == "json"
    assert body["field"] == "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].exemplars[0].traceId"


async def test_compressed_bodies(api: Api) -> None:
    raw = op.request([op.gauge(name="comp.test", unit="")]).SerializeToString()
    assert (await api.client.post("/v1/metrics", content=gzip.compress(raw), headers=PB | {"content-encoding": "gzip"})).status_code == 200
    assert (await api.client.post("/v1/metrics", content=zstandard.ZstdCompressor().compress(raw),
                                  headers=PB | {"content-encoding": "zstd"})).status_code == 200
    bad = await api.client.post("/v1/metrics", content=b"\x1f\x8b not gzip", headers=PB | {"content-encoding": "gzip"})
    assert bad.status_code == 400 and bad.json()["format"] == "gzip" and bad.json()["title"] == "Malformed gzip"
    bomb = gzip.compress(b"\x00" * (40 * 1024 * 1024))
    assert len(bomb) < 64 * 1024
    over = await api.client.post("/v1/metrics", content=bomb, headers=PB | {"content-encoding": "gzip"})
    assert over.status_code == 413 and over.json()["limit"] == "max_decompressed_bytes"
    unknown = await api.client.post("/v1/metrics", content=raw, headers=PB | {"content-encoding": "br"})
    assert unknown.status_code == 415 and unknown.json()["field"] == "Content-Encoding"


async def test_each_failure_has_its_own_clear_4xx(api: Api) -> None:
    malformed = await api.client.post("/v1/metrics", content=b"\x0a\xff\xff\xff", headers=PB)
    assert malformed.status_code == 400 and malformed.json()["title"] == "Malformed protobuf"
    assert malformed.headers["content-type"] == PROBLEM

    wrong_type = await api.client.post("/v1/metrics", content=b"x", headers={"content-type": "text/plain"})
    assert wrong_type.status_code == 415
    assert "application/x-protobuf" in wrong_type.headers["accept-post"]

    oversized = await api.client.post("/v1/metrics", content=b"\x00" * 70_000, headers=PB)
    assert oversized.status_code == 413 and oversized.json()["limit"] == "max_body_bytes"

    many = op.request([op.gauge(name="wide", unit="", labels={f"a{i}": "x" for i in range(30)})])
    too_many = await post_pb(api, many)
    assert too_many.status_code == 422 and too_many.json()["limit"] == "max_labels"
    assert too_many.json()["field"].startswith("resourceMetrics[0].scopeMetrics[0].metrics[0]")

    old = await post_pb(api, op.request([op.gauge(name="old", unit="", t=(NOW_MS - 2 * 86_400_000) * op.NS)]))
    assert old.status_code == 422
    assert old.json()["field"] == "resourceMetrics[0].scopeMetrics[0].metrics[0].samples[0][0]"
    assert "outside the accepted window" in old.json()["detail"]

    unspecified = await post_pb(api, op.request([op.counter(temporality=0)]))
    assert unspecified.status_code == 422
    assert unspecified.json()["errors"][0]["field"].endswith("sum.aggregationTemporality")
    assert await series_of(api, '{__name__=~".+"}') == []


async def test_one_bad_metric_rejects_the_whole_request(api: Api) -> None:
    resp = await post_pb(api, op.request([op.gauge(name="fine", unit=""), op.counter(temporality=0)]))
    assert resp.status_code == 422
    assert await series_of(api, "fine") == []


async def test_a_large_compressed_request_is_decoded_off_the_event_loop(api: Api) -> None:
    metrics = [op.gauge(name=f"big.gauge.{i}", unit="", labels={"padding": "p" * 60, "i": i}) for i in range(800)]
    raw = op.request(metrics).SerializeToString()
    assert len(raw) > 64 * 1024  # over OFF_LOOP_BYTES: decompression and decoding run in the thread pool
    resp = await api.client.post("/v1/metrics", content=gzip.compress(raw), headers=PB | {"content-encoding": "gzip"})
    assert resp.status_code == 200, resp.text
    assert len(await series_of(api, '{__name__=~"big_gauge_.*"}')) == 800


async def test_credentials_are_required(api: Api) -> None:
    raw = op.everything().SerializeToString()
    assert (await api.client.post("/v1/metrics", content=raw, headers=PB | {"Authorization": ""})).status_code == 401
    _, reader = await api.container.api_keys().create_api_key("default", "reader", ["read"])
    assert (await api.client.post("/v1/metrics", content=raw, headers=PB | {"Authorization": f"Bearer {reader}"})).status_code == 403
    _, ingest_only = await api.container.api_keys().create_api_key("default", "otel", ["ingest"])
    assert (await api.client.post("/v1/metrics", content=raw, headers=PB | {"Authorization": f"Bearer {ingest_only}"})).status_code == 200


# -- fuzzing -----------------------------------------------------------------------------

GOLDEN = op.everything().SerializeToString()
GOLDEN_JSON = json_format.MessageToJson(op.everything()).encode()


def mutations(golden: bytes) -> st.SearchStrategy[bytes]:
    flip = st.tuples(st.integers(0, len(golden) - 1), st.integers(0, 255)).map(
        lambda p: golden[: p[0]] + bytes([p[1]]) + golden[p[0] + 1:])
    cut = st.integers(0, len(golden)).map(lambda n: golden[:n])
    splice = st.tuples(st.integers(0, len(golden)), st.binary(max_size=16)).map(lambda p: golden[: p[0]] + p[1] + golden[p[0]:])
    return st.one_of(flip, cut, splice, st.binary(max_size=256))


@settings(max_examples=300, deadline=None)
@given(data=mutations(GOLDEN))
def test_protobuf_decoder_and_mapping_fail_only_cleanly(data: bytes) -> None:
    try:
        to_series(parse_protobuf(data), OtlpOptions())
    except (MalformedPayload, ValidationError):
        pass


@settings(max_examples=300, deadline=None)
@given(data=mutations(GOLDEN_JSON))
@example(data=GOLDEN_JSON[:5] + b"\xed\xa0\x80" + GOLDEN_JSON[5:])  # a CESU-8 lone surrogate in a key
def test_json_decoder_and_mapping_fail_only_cleanly(data: bytes) -> None:
    try:
        to_series(parse_json(data), OtlpOptions())
    except (MalformedPayload, ValidationError):
        pass


@pytest.mark.parametrize("depth", [50, 5000])
def test_deeply_nested_json_is_malformed_not_a_crash(depth: int) -> None:
    doc = b'{"resourceMetrics":' + b"[" * depth + b"]" * depth + b"}"
    with pytest.raises(MalformedPayload):
        parse_json(doc)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(data=st.one_of(mutations(GOLDEN), mutations(GOLDEN_JSON)), json_body=st.booleans(),
       encoding=st.sampled_from([None, "gzip", "zstd"]))
async def test_no_body_causes_a_server_error(api: Api, data: bytes, json_body: bool, encoding: str | None) -> None:
    headers = dict(JS if json_body else PB)
    if encoding == "gzip":
        data, headers["content-encoding"] = gzip.compress(data), "gzip"
    elif encoding == "zstd":
        data, headers["content-encoding"] = zstandard.ZstdCompressor().compress(data), "zstd"
    resp = await api.client.post("/v1/metrics", content=data, headers=headers)
    assert resp.status_code in (200, 400, 413, 415, 422), resp.text
    if resp.status_code != 200:
        assert resp.headers["content-type"] == PROBLEM and resp.json()["detail"]
