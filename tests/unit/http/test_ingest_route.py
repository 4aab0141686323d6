"""The native ingest route: accepted whole or rejected whole, every error as problem+json
naming the field."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from tests.unit.http.conftest import NOW_MS, Api

PROBLEM = "application/problem+json"


def series(name="cpu", labels=None, samples=None):
    return {"name": name, "labels": labels or {"host": "a"}, "samples": samples or [[NOW_MS, 1.5]]}


async def stored_series(api: Api) -> list[dict]:
    await api.drain()
    return (await api.client.get("/api/v1/series")).json()["data"]


async def test_accepts_a_batch_with_nan_and_infinities(api: Api) -> None:
    resp = await api.client.post("/api/v1/ingest", json={"series": [
        series(samples=[[NOW_MS - 2000, "NaN"], [NOW_MS - 1000, "+Inf"], [NOW_MS, "-Inf"]]),
    ]})
    assert resp.status_code == 202
    assert resp.json() == {"status": "accepted", "series": 1, "samples": 3}
    await api.drain()
    qr = await api.client.get("/api/v1/query_range", params={
        "query": "cpu", "start": str((NOW_MS - 2000) / 1000), "end": str(NOW_MS / 1000), "step": "1s", "window": "1s"})
    assert [v for _, v in qr.json()["data"]["result"][0]["values"]] == ["NaN", "+Inf", "-Inf"]


async def test_one_bad_series_rejects_the_whole_batch_and_names_the_field(api: Api) -> None:
    resp = await api.client.post("/api/v1/ingest", json={"series": [
        series("good_one"),
        series("bad-name"),
        series("good_two", labels={"__reserved": "x"}),
    ]})
    assert resp.status_code == 422
    assert resp.headers["content-type"] == PROBLEM
    body = resp.json()
    assert body["status"] == 422 and body["title"] == "Batch rejected"
    assert [e["field"] for e in body["errors"]] == ["series[1].name", "series[2].labels.__reserved"]
    assert await stored_series(api) == []


async def test_timestamp_outside_the_window_names_the_window(api: Api) -> None:
    resp = await api.client.post("/api/v1/ingest", json={"series": [series(samples=[[NOW_MS - 2 * 86_400_000, 1]])]})
    assert resp.status_code == 422
    body = resp.json()
    assert body["field"] == "series[0].samples[0][0]"
    assert "outside the accepted window" in body["detail"]
    assert await stored_series(api) == []


async def test_shape_errors_name_the_field(api: Api) -> None:
    resp = await api.client.post("/api/v1/ingest", json={"series": [{"name": "x", "labels": {"a": 1}, "samples": [[1, 2]]}]})
    assert resp.status_code == 422
    assert resp.headers["content-type"] == PROBLEM
    assert resp.json()["field"] == "series[0].labels.a"

    resp = await api.client.post("/api/v1/ingest", content=b"{not json", headers={"content-type": "application/json"})
    assert resp.status_code == 422
    assert "not valid JSON" in resp.json()["detail"]


async def test_limits_answer_with_the_limit_named(api: Api) -> None:
    too_many = await api.client.post("/api/v1/ingest", json={"series": [series(samples=[[NOW_MS - i, 1] for i in range(1001)])]})
    assert too_many.status_code == 413
    assert too_many.json()["limit"] == "max_samples_per_batch"

    # Counted before any point is validated: invalid points in an oversized batch do
    # not cost their validation, and the answer names the limit.
    bad_points = [series("bad-name", samples=[["not a time", "x"] for _ in range(600)]) for _ in range(2)]
    oversized = await api.client.post("/api/v1/ingest", json={"series": bad_points})
    assert oversized.status_code == 413
    assert oversized.json()["limit"] == "max_samples_per_batch"

    too_big = await api.client.post("/api/v1/ingest", content=b"{" + b" " * 70_000 + b"}", headers={"content-type": "application/json"})
    assert too_big.status_code == 413
    assert too_big.json()["limit"] == "max_body_bytes"

    labels = {f"l{i}": "v" for i in range(31)}
    too_many_labels = await api.client.post("/api/v1/ingest", json={"series": [series(labels=labels)]})
    assert too_many_labels.status_code == 422
    assert too_many_labels.json()["errors"][0]["field"] == "series[0].labels"
    assert too_many_labels.json()["limit"] == "max_labels"
    assert "limit of 30" in too_many_labels.json()["detail"]
    assert await stored_series(api) == []


async def test_wrong_content_type_is_415(api: Api) -> None:
    resp = await api.client.post("/api/v1/ingest", content=b"a=b", headers={"content-type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 415
    assert resp.headers["content-type"] == PROBLEM


async def test_credentials_and_scopes_are_required(api: Api) -> None:
    anonymous = await api.client.post("/api/v1/ingest", json={"series": [series()]}, headers={"Authorization": ""})
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    _, read_only = await api.container.api_keys().create_api_key("default", "reader", ["read"])
    forbidden = await api.client.post("/api/v1/ingest", json={"series": [series()]}, headers={"Authorization": f"Bearer {read_only}"})
    assert forbidden.status_code == 403
    assert (await api.client.get("/healthz", headers={"Authorization": ""})).status_code == 200


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
series_like = st.fixed_dictionaries(
    {"name": st.one_of(st.sampled_from(["cpu", "bad name", ""]), st.text(max_size=5))},
    optional={
        "labels": st.dictionaries(st.text(max_size=6), st.one_of(st.text(max_size=6), st.integers()), max_size=4),
        "samples": st.lists(st.lists(st.one_of(st.integers(NOW_MS - 10**9, NOW_MS + 10**9), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=4)), max_size=3), max_size=3),
        "kind": st.sampled_from(["gauge", "counter", "histogram", "summary"]),
    },
)


@settings(max_examples=75, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(json_values, st.fixed_dictionaries({"series": st.lists(series_like, max_size=3)})))
async def test_no_input_causes_a_server_error(api: Api, body) -> None:
    resp = await api.client.post("/api/v1/ingest", json=body)
    assert resp.status_code in (202, 413, 422), resp.text
    if resp.status_code != 202:
        problem = resp.json()
        assert resp.headers["content-type"] == PROBLEM
        assert problem["status"] == resp.status_code and problem["detail"]
