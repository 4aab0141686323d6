"""Prometheus remote write 1.0 and 2.0 at /api/v1/write, with hand-built encodings
(tests/unit/http/protoenc.py), every error mode, and fuzzing of decoder and route."""

from __future__ import annotations

import math

import cramjam
import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from adapters.http.ingest_formats.errors import MalformedPayload
from adapters.http.ingest_formats.remote_write import decode_v1, decode_v2
from adapters.http.ingest_formats.series import STALE_NAN, is_stale_nan
from domain.errors import ValidationError
from tests.unit.http import protoenc as pe
from tests.unit.http.conftest import NOW_MS, Api

PROBLEM = "application/problem+json"
V1 = {"content-type": "application/x-protobuf", "content-encoding": "snappy", "x-prometheus-remote-write-version": "0.1.0"}
V2 = {"content-type": "application/x-protobuf;proto=io.prometheus.write.v2.Request", "content-encoding": "snappy",
      "x-prometheus-remote-write-version": "2.0.0"}
WRITTEN = ("x-prometheus-remote-write-samples-written", "x-prometheus-remote-write-histograms-written",
           "x-prometheus-remote-write-exemplars-written")


def snappy(data: bytes) -> bytes:
    return bytes(cramjam.snappy.compress_raw(data))


def v1_body() -> bytes:
    return pe.rw1_request([
        pe.rw1_series({"__name__": "up", "job": "node", "instance": "h:9100"}, [(NOW_MS - 15_000, 1.0), (NOW_MS, 1.0)], exemplars=1),
        pe.rw1_series({"__name__": "node_cpu_seconds_total", "cpu": "0", "mode": "idle"}, [(NOW_MS, 1234.5)]),
        pe.rw1_series({"__name__": "rpc_duration_seconds", "job": "api"}, [], histograms=[
            pe.native_histogram(NOW_MS, count=5, total=3.5, schema=0, zero_count=1, positive=[(0, 2), (1, 1)], deltas=[2, -1, 0])]),
    ], metadata=[(1, "node_cpu_seconds_total", "seconds")])


def v2_body() -> bytes:
    sym = pe.Symbols()
    return pe.rw2_request(sym, [
        pe.rw2_series(sym, {"__name__": "http_requests_total", "code": "200"}, [(NOW_MS, 42.0)], exemplars=2, metric_type=1),
        pe.rw2_series(sym, {"__name__": "temperature", "room": "a"}, [(NOW_MS - 1000, 21.5), (NOW_MS, STALE_NAN)],
                      metric_type=2, unit="celsius", help_="room temperature"),
        pe.rw2_series(sym, {"__name__": "latency_seconds"}, histograms=[
            pe.native_histogram(NOW_MS, count=3, total=0.6, schema=-53, positive=[(0, 3)], deltas=[1, 0, 0],
                                custom_values=[0.1, 0.5])], metric_type=3),
    ])


async def series_of(api: Api, match: str) -> list[dict]:
    await api.drain()
    return (await api.client.get("/api/v1/series", params={"match[]": match})).json()["series"]


async def test_remote_write_1_0(api: Api) -> None:
    resp = await api.client.post("/api/v1/write", content=snappy(v1_body()), headers=V1)
    assert resp.status_code == 204, resp.text
    assert not any(h in resp.headers for h in WRITTEN)  # 1.0 has no such headers
    [up] = await series_of(api, "up")
    assert up["labels"] == {"job": "node", "instance": "h:9100"}
    [cpu] = await series_of(api, "node_cpu_seconds_total")
    assert cpu["kind"] == "counter"  # from the metadata
    buckets = await series_of(api, "rpc_duration_seconds_bucket")
    # native schema 0: bucket i is (2**(i-1), 2**i]; spans [(0,2),(1,1)] are indexes 0, 1, 3 -> le 1, 2, 8 (4 empty)
    assert sorted(float(b["labels"]["le"]) for b in buckets) == [0, 1, 2, 4, 8, math.inf]
    qr = await api.client.get("/api/v1/query_range", params={
        "query": "rpc_duration_seconds_bucket", "start": str(NOW_MS / 1000), "end": str(NOW_MS / 1000), "step": "1s"})
    values = {r["metric"]["le"]: r["values"][0][1] for r in qr.json()["data"]["result"]}
    assert values == {"0": "1", "1": "3", "2": "4", "4": "4", "8": "5", "+Inf": "5"}  # counts 2, 1, 1 from deltas 2, -1, 0


async def test_remote_write_2_0_reports_what_was_written(api: Api) -> None:
    resp = await api.client.post("/api/v1/write", content=snappy(v2_body()), headers=V2)
    assert resp.status_code == 204, resp.text
    assert [resp.headers[h] for h in WRITTEN] == ["3", "1", "0"]  # exemplars are not stored
    [t] = await series_of(api, "temperature")
    assert t["unit"] == "celsius" and t["kind"] == "gauge"
    [c] = await series_of(api, "http_requests_total")
    assert c["kind"] == "counter"
    buckets = await series_of(api, "latency_seconds_bucket")
    assert sorted(b["labels"]["le"] for b in buckets) == sorted(["0.1", "0.5", "+Inf"])


def test_staleness_markers_survive_decoding() -> None:
    batch = decode_v2(v2_body())
    [temp] = [s for s in batch.series if s.name == "temperature"]
    assert is_stale_nan(temp.samples[1][1])


async def test_metadata_only_requests_are_accepted(api: Api) -> None:
    resp = await api.client.post("/api/v1/write", content=snappy(pe.rw1_request([], metadata=[(2, "x", "")])), headers=V1)
    assert resp.status_code == 204


async def test_content_negotiation(api: Api) -> None:
    for ctype in ("application/json", "application/x-protobuf;proto=io.prometheus.write.v3.Request", "text/plain"):
        resp = await api.client.post("/api/v1/write", content=snappy(v1_body()), headers=V1 | {"content-type": ctype})
        assert resp.status_code == 415, ctype
        assert "io.prometheus.write.v2.Request" in resp.headers["accept-post"]
    explicit = await api.client.post("/api/v1/write", content=snappy(v1_body()),
                                     headers=V1 | {"content-type": "application/x-protobuf; proto=prometheus.WriteRequest"})
    assert explicit.status_code == 204
    uncompressed = await api.client.post("/api/v1/write", content=v1_body(), headers=V1 | {"content-encoding": ""})
    assert uncompressed.status_code == 415 and uncompressed.json()["field"] == "Content-Encoding"


async def test_each_failure_has_its_own_clear_4xx(api: Api) -> None:
    bad_snappy = await api.client.post("/api/v1/write", content=b"\x10garbage-garbage", headers=V1)
    assert bad_snappy.status_code == 400 and bad_snappy.json()["title"] == "Malformed snappy"

    bad_proto = await api.client.post("/api/v1/write", content=snappy(b"\x0a\x05\x0a\x03"), headers=V1)
    assert bad_proto.status_code == 400 and bad_proto.json()["title"] == "Malformed protobuf"
    assert bad_proto.headers["content-type"] == PROBLEM

    oversized = await api.client.post("/api/v1/write", content=b"\x00" * 70_000, headers=V1)
    assert oversized.status_code == 413 and oversized.json()["limit"] == "max_body_bytes"
    bomb = snappy(b"\x00" * (40 * 1024 * 1024))
    inflated = await api.client.post("/api/v1/write", content=bomb[:8] + b"\x00" * 10, headers=V1)
    assert inflated.status_code == 413 and inflated.json()["limit"] == "max_decompressed_bytes"

    wide = pe.rw1_request([pe.rw1_series({"__name__": "wide"} | {f"l{i}": "v" for i in range(31)}, [(NOW_MS, 1)])])
    too_many = await api.client.post("/api/v1/write", content=snappy(wide), headers=V1)
    assert too_many.status_code == 422 and too_many.json()["limit"] == "max_labels"
    assert too_many.json()["field"] == "timeseries[0].labels"

    old = pe.rw1_request([pe.rw1_series({"__name__": "ok"}, [(NOW_MS, 1)]), pe.rw1_series({"__name__": "old"}, [(NOW_MS - 3 * 86_400_000, 1)])])
    out_of_window = await api.client.post("/api/v1/write", content=snappy(old), headers=V1)
    assert out_of_window.status_code == 422
    assert out_of_window.json()["field"] == "timeseries[1].samples[0][0]" and "window" in out_of_window.json()["detail"]

    nameless = pe.rw1_request([pe.rw1_series({"job": "x"}, [(NOW_MS, 1)])])
    no_name = await api.client.post("/api/v1/write", content=snappy(nameless), headers=V1)
    assert no_name.status_code == 422 and "__name__" in no_name.json()["detail"]
    assert await series_of(api, "ok") == []  # rejected whole


async def test_v2_failures_carry_zero_written_headers(api: Api) -> None:
    sym = pe.Symbols()
    body = pe.rw2_request(sym, [pe.rw2_series(sym, {"__name__": "old"}, [(NOW_MS - 3 * 86_400_000, 1.0)])])
    resp = await api.client.post("/api/v1/write", content=snappy(body), headers=V2)
    assert resp.status_code == 422
    assert [resp.headers[h] for h in WRITTEN] == ["0", "0", "0"]
    bad_ref = pe.encode([(4, ""), (5, [(1, pe.Packed((7, 8)))])])
    resp = await api.client.post("/api/v1/write", content=snappy(bad_ref), headers=V2)
    assert resp.status_code == 400 and "symbol reference 7" in resp.json()["detail"]
    assert resp.headers[WRITTEN[0]] == "0"


async def test_ingest_scope_is_enough_and_required(api: Api) -> None:
    _, key = await api.container.api_keys().create_api_key("default", "prom", ["ingest"])
    ok = await api.client.post("/api/v1/write", content=snappy(v1_body()), headers=V1 | {"Authorization": f"Bearer {key}"})
    assert ok.status_code == 204
    anonymous = await api.client.post("/api/v1/write", content=snappy(v1_body()), headers=V1 | {"Authorization": ""})
    assert anonymous.status_code == 401


def test_unpacked_repeated_fields_and_unknown_fields_are_read() -> None:
    # labels_refs sent unpacked (one varint per occurrence) and an unknown field 99.
    body = pe.encode([(4, ""), (4, "__name__"), (4, "m"), (5, [(1, 1), (1, 2), (2, [(1, pe.Double(2.0)), (2, NOW_MS)]), (99, "x")])])
    [s] = decode_v2(body).series
    assert (s.name, s.samples) == ("m", [[NOW_MS, 2.0]])


def test_negative_timestamps_and_int64_are_decoded() -> None:
    [s] = decode_v1(pe.rw1_request([pe.rw1_series({"__name__": "m"}, [(-5, 1.0)])])).series
    assert s.samples == [[-5, 1.0]]


# -- fuzzing -----------------------------------------------------------------------------


def mutations(golden: bytes) -> st.SearchStrategy[bytes]:
    flip = st.tuples(st.integers(0, len(golden) - 1), st.integers(0, 255)).map(
        lambda p: golden[: p[0]] + bytes([p[1]]) + golden[p[0] + 1:])
    cut = st.integers(0, len(golden)).map(lambda n: golden[:n])
    splice = st.tuples(st.integers(0, len(golden)), st.binary(max_size=16)).map(lambda p: golden[: p[0]] + p[1] + golden[p[0]:])
    return st.one_of(flip, cut, splice, st.binary(max_size=256))


@pytest.mark.parametrize("decode,golden", [(decode_v1, v1_body()), (decode_v2, v2_body())], ids=["v1", "v2"])
def test_decoders_fail_only_cleanly(decode, golden: bytes) -> None:
    @settings(max_examples=400, deadline=None)
    @given(data=mutations(golden))
    def run(data: bytes) -> None:
        try:
            decode(data)
        except (MalformedPayload, ValidationError):
            pass

    run()


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(data=st.one_of(mutations(v1_body()), mutations(v2_body())), v2=st.booleans(), compress=st.booleans(),
       corrupt=st.one_of(st.none(), st.integers(0, 40)))
async def test_no_body_causes_a_server_error(api: Api, data: bytes, v2: bool, compress: bool, corrupt: int | None) -> None:
    body = snappy(data) if compress else data
    if corrupt is not None and body:
        i = corrupt % len(body)
        body = body[:i] + bytes([body[i] ^ 0x5A]) + body[i + 1:]
    resp = await api.client.post("/api/v1/write", content=body, headers=V2 if v2 else V1)
    assert resp.status_code in (204, 400, 413, 415, 422), resp.text
    if resp.status_code != 204:
        assert resp.headers["content-type"] == PROBLEM and resp.json()["detail"]
    if v2:
        assert all(h in resp.headers for h in WRITTEN)
