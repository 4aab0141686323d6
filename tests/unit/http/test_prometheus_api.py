"""The Prometheus HTTP API under /prometheus: GET and POST form requests, Prometheus'
time and duration formats, its response shapes and its error bodies and codes."""

from __future__ import annotations

import pytest

from tests.unit.http.conftest import NOW_MS, Api

P = "/prometheus/api/v1"
NOW_S = NOW_MS // 1000


async def ingest(api: Api, series: list[dict]) -> None:
    resp = await api.client.post("/api/v1/ingest", json={"series": series})
    assert resp.status_code == 202, resp.text
    await api.drain()


@pytest.fixture
async def loaded(api: Api) -> Api:
    await ingest(api, [
        {"name": "up", "labels": {"job": "api", "instance": "a:9100"}, "samples": [[NOW_MS - 60_000, 1], [NOW_MS, 1]]},
        {"name": "up", "labels": {"job": "db", "instance": "b:9100"}, "samples": [[NOW_MS - 60_000, 0], [NOW_MS, 1]]},
        {"name": "http_requests_total", "labels": {"job": "api"}, "kind": "counter",
         "samples": [[NOW_MS - 120_000, 10], [NOW_MS - 60_000, 70], [NOW_MS, 130]]},
        {"name": "latency_seconds", "labels": {"job": "api"}, "unit": "seconds", "samples": [[NOW_MS, 0.25]]},
    ])
    return api


async def test_instant_query_get_and_post_form_answer_alike(loaded: Api) -> None:
    params = {"query": "sum by (job) (up)", "time": str(NOW_S)}
    got = await loaded.client.get(f"{P}/query", params=params)
    posted = await loaded.client.post(f"{P}/query", data=params)
    assert got.status_code == posted.status_code == 200
    assert got.headers["content-type"] == "application/json"
    assert got.json() == posted.json() == {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"job": "api"}, "value": [NOW_S, "1"]},
        {"metric": {"job": "db"}, "value": [NOW_S, "1"]},
    ]}}


async def test_instant_query_defaults_to_now_and_takes_rfc3339(loaded: Api) -> None:
    now = (await loaded.client.get(f"{P}/query", params={"query": "time()"})).json()
    assert now["data"] == {"resultType": "scalar", "result": [NOW_S, str(NOW_S)]}
    rfc = (await loaded.client.get(f"{P}/query", params={"query": "time()", "time": "2027-01-15T08:00:00.5+01:00"})).json()
    assert rfc["data"]["result"] == [1_799_996_400.5, "1799996400.5"]  # 07:00:00.5 UTC


async def test_range_query_with_duration_and_float_steps(loaded: Api) -> None:
    base = {"query": "rate(http_requests_total[2m])", "start": str(NOW_S - 60), "end": str(NOW_S)}
    by_duration = await loaded.client.post(f"{P}/query_range", data=base | {"step": "30s"})
    by_seconds = await loaded.client.post(f"{P}/query_range", data=base | {"step": "30"})
    assert by_duration.status_code == 200, by_duration.text
    assert by_duration.json() == by_seconds.json()
    result = by_duration.json()["data"]
    assert result["resultType"] == "matrix"
    assert [t for t, _ in result["result"][0]["values"]] == [NOW_S - 60, NOW_S - 30, NOW_S]


async def test_form_body_values_win_over_the_query_string(loaded: Api) -> None:
    resp = await loaded.client.post(f"{P}/query?query=up&time=0", data={"query": "vector(7)", "time": str(NOW_S)})
    assert resp.json()["data"]["result"] == [{"metric": {}, "value": [NOW_S, "7"]}]


async def test_stats_are_included_on_request(loaded: Api) -> None:
    plain = (await loaded.client.get(f"{P}/query", params={"query": "up", "time": str(NOW_S)})).json()
    assert "stats" not in plain["data"]
    with_stats = (await loaded.client.get(f"{P}/query", params={"query": "up", "time": str(NOW_S), "stats": "all"})).json()
    stats = with_stats["data"]["stats"]
    assert set(stats) == {"timings", "samples"}
    assert stats["samples"]["totalQueryableSamples"] >= 2
    assert with_stats["data"]["result"] == plain["data"]["result"]


@pytest.mark.parametrize(("params", "status", "error_type", "fragment"), [
    ({"query": "up{", "time": str(NOW_S)}, 400, "bad_data", 'invalid parameter "query"'),
    ({"query": "", "time": str(NOW_S)}, 400, "bad_data", 'invalid parameter "query"'),
    ({"query": "up", "time": "yesterday"}, 400, "bad_data",
     "invalid parameter \"time\": Invalid time value for 'time': cannot parse \"yesterday\" to a valid timestamp"),
    ({"query": "up", "time": "2027-01-15"}, 400, "bad_data", "cannot parse"),  # a date alone is not RFC 3339
    ({"query": "up", "timeout": "soon"}, 400, "bad_data", 'invalid parameter "timeout"'),
    ({"query": 'label_replace(up, "x", "$1", "job", "(")'}, 422, "execution", "invalid regular expression"),
])
async def test_instant_query_errors_have_prometheus_shape_and_codes(
    loaded: Api, params: dict, status: int, error_type: str, fragment: str
) -> None:
    resp = await loaded.client.get(f"{P}/query", params=params)
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["status"] == "error" and body["errorType"] == error_type
    assert fragment in body["error"]


@pytest.mark.parametrize(("params", "fragment"), [
    ({"start": "10", "end": "5", "step": "1"}, 'invalid parameter "end": end timestamp must not be before start time'),
    ({"start": "0", "end": "10", "step": "0"}, "zero or negative query resolution step widths are not accepted"),
    ({"start": "0", "end": "10", "step": "-1s"}, 'invalid parameter "step": cannot parse "-1s" to a valid duration'),
    ({"start": "0", "end": "10", "step": "1.5m"}, 'cannot parse "1.5m" to a valid duration'),  # no fractions in units
    ({"start": "0", "end": "10", "step": "1s1m"}, 'cannot parse "1s1m" to a valid duration'),  # units in order
    ({"start": "0", "end": "11002", "step": "1"}, "exceeded maximum resolution of 11,000 points per timeseries"),
    ({"end": "10", "step": "1"}, 'invalid parameter "start": cannot parse "" to a valid timestamp'),
])
async def test_range_query_parameter_errors(loaded: Api, params: dict, fragment: str) -> None:
    resp = await loaded.client.post(f"{P}/query_range", data={"query": "up"} | params)
    assert resp.status_code == 400, resp.text
    assert resp.json()["errorType"] == "bad_data"
    assert fragment in resp.json()["error"]


async def test_range_query_takes_11001_points_as_prometheus_does(loaded: Api) -> None:
    resp = await loaded.client.get(f"{P}/query_range", params={"query": "vector(1)", "start": "0", "end": "11000",
                                                               "step": "1"})
    assert resp.status_code == 200, resp.text
    assert len(resp.json()["data"]["result"][0]["values"]) == 11001


async def test_range_query_of_a_range_vector_is_bad_data(loaded: Api) -> None:
    resp = await loaded.client.get(f"{P}/query_range", params={"query": "up[5m]", "start": "0", "end": "10", "step": "1"})
    assert resp.status_code == 400
    assert resp.json()["errorType"] == "bad_data"
    assert "range query" in resp.json()["error"]


async def test_a_query_over_its_limit_is_an_execution_error_naming_the_limit(loaded: Api) -> None:
    engine = loaded.container.promql()
    from dataclasses import replace

    engine.limits = replace(engine.limits, max_series=1)
    resp = await loaded.client.get(f"{P}/query", params={"query": "up", "time": str(NOW_S)})
    assert resp.status_code == 422
    assert resp.json()["errorType"] == "execution"
    assert resp.json()["limit"] == "max_series_per_query"


async def test_a_query_past_its_timeout_is_a_timeout_error(loaded: Api) -> None:
    resp = await loaded.client.get(f"{P}/query", params={"query": "up", "time": str(NOW_S), "timeout": "0s"})
    assert resp.status_code == 503
    assert resp.json()["errorType"] == "timeout"


async def test_series_labels_and_label_values_with_match_and_range(loaded: Api) -> None:
    series = await loaded.client.post(f"{P}/series", data={"match[]": ["up", "latency_seconds"], "start": str(NOW_S - 300),
                                                           "end": str(NOW_S)})
    assert series.json() == {"status": "success", "data": [
        {"__name__": "latency_seconds", "job": "api"},
        {"__name__": "up", "instance": "a:9100", "job": "api"},
        {"__name__": "up", "instance": "b:9100", "job": "db"},
    ]}
    labels = await loaded.client.get(f"{P}/labels", params={"match[]": "up"})
    assert labels.json()["data"] == ["__name__", "instance", "job"]
    everything = await loaded.client.get(f"{P}/labels")
    assert everything.json()["data"] == ["__name__", "instance", "job"]
    names = await loaded.client.get(f"{P}/label/__name__/values")
    assert names.json()["data"] == ["http_requests_total", "latency_seconds", "up"]
    jobs = await loaded.client.get(f"{P}/label/instance/values", params={"match[]": 'up{job="db"}'})
    assert jobs.json()["data"] == ["b:9100"]
    future = await loaded.client.get(f"{P}/label/job/values", params={"start": str(NOW_S + 3600)})
    assert future.json()["data"] == []


async def test_limit_truncates_with_prometheus_warning(loaded: Api) -> None:
    resp = await loaded.client.get(f"{P}/label/__name__/values", params={"limit": "2"})
    assert resp.json() == {"status": "success", "data": ["http_requests_total", "latency_seconds"],
                           "warnings": ["results truncated due to limit"]}
    exact = await loaded.client.get(f"{P}/label/__name__/values", params={"limit": "3"})
    assert "warnings" not in exact.json()
    series = await loaded.client.get(f"{P}/series", params={"match[]": "up", "limit": "1"})
    assert len(series.json()["data"]) == 1 and series.json()["warnings"] == ["results truncated due to limit"]
    bad = await loaded.client.get(f"{P}/labels", params={"limit": "many"})
    assert bad.status_code == 400 and bad.json()["error"] == "limit must be a number"


@pytest.mark.parametrize(("path", "params", "fragment"), [
    ("/series", {}, "no match[] parameter provided"),
    ("/series", {"match[]": '{job=~".*"}'}, 'invalid parameter "match[]": parse error: vector selector must contain'),
    ("/series", {"match[]": "up{"}, "parse error"),
    ("/labels", {"match[]": "{}"}, ""),
    ("/label/not-a-name/values", {}, 'invalid label name: "not-a-name"'),
    ("/labels", {"start": "later"}, "invalid parameter \"start\": Invalid time value for 'start'"),
])
async def test_metadata_endpoint_errors_are_bad_data(loaded: Api, path: str, params: dict, fragment: str) -> None:
    resp = await loaded.client.get(P + path, params=params)
    assert resp.status_code == 400, resp.text
    assert resp.json()["errorType"] == "bad_data"
    assert fragment in resp.json()["error"]


async def test_metadata_gives_kind_and_unit_per_family(loaded: Api) -> None:
    await ingest(loaded, [{"name": "rpc_seconds_bucket", "labels": {"le": "0.5"}, "kind": "histogram",
                           "samples": [[NOW_MS, 3]]}])
    body = (await loaded.client.get(f"{P}/metadata")).json()
    assert body["data"] == {
        "http_requests_total": [{"type": "counter", "help": "", "unit": ""}],
        "latency_seconds": [{"type": "gauge", "help": "", "unit": "seconds"}],
        "rpc_seconds": [{"type": "histogram", "help": "", "unit": ""}],
        "up": [{"type": "gauge", "help": "", "unit": ""}],
    }
    one = (await loaded.client.get(f"{P}/metadata", params={"metric": "rpc_seconds"})).json()
    assert one["data"] == {"rpc_seconds": [{"type": "histogram", "help": "", "unit": ""}]}
    assert len((await loaded.client.get(f"{P}/metadata", params={"limit": "2"})).json()["data"]) == 2
    assert (await loaded.client.get(f"{P}/metadata", params={"metric": "nope"})).json()["data"] == {}


async def test_buildinfo_reads_as_prometheus_to_grafana(loaded: Api) -> None:
    data = (await loaded.client.get(f"{P}/status/buildinfo")).json()["data"]
    assert data["version"] == "2.42.0"
    assert "features" not in data  # Grafana would take a non-empty features map for Mimir
    assert set(data) == {"version", "revision", "branch", "buildUser", "buildDate", "goVersion"}


async def test_exemplars_are_empty_and_queries_are_still_checked(loaded: Api) -> None:
    # Grafana probes with start/end in milliseconds (as seconds: a time far ahead): accepted.
    ok = await loaded.client.get(f"{P}/query_exemplars", params={"query": "test", "start": str(NOW_MS - 1_800_000),
                                                                 "end": str(NOW_MS)})
    assert ok.json() == {"status": "success", "data": []}
    no_selector = await loaded.client.get(f"{P}/query_exemplars", params={"query": "1+1"})
    assert no_selector.status_code == 204
    bad = await loaded.client.post(f"{P}/query_exemplars", data={"query": "rate("})
    assert bad.status_code == 400 and bad.json()["errorType"] == "bad_data"


async def test_format_query_prettifies(loaded: Api) -> None:
    resp = await loaded.client.post(f"{P}/format_query", data={"query": "sum(rate(x[5m]))by(job)"})
    assert resp.json() == {"status": "success", "data": "sum by (job) (rate(x[5m]))"}
    bad = await loaded.client.get(f"{P}/format_query", params={"query": "sum("})
    assert bad.status_code == 400 and bad.json()["error"].startswith('invalid parameter "query"')


async def test_every_route_needs_a_credential(loaded: Api) -> None:
    for path in ("/query?query=up", "/labels", "/status/buildinfo", "/label/job/values", "/metadata"):
        resp = await loaded.client.get(P + path, headers={"Authorization": ""})
        assert resp.status_code == 401, path


async def test_answers_are_scoped_to_the_callers_tenant(loaded: Api) -> None:
    _, other = await loaded.container.api_keys().create_api_key("default", "x", ["read"])
    await loaded.container.tenants().bootstrap_tenant("other")
    _, other_key = await loaded.container.api_keys().create_api_key("other", "reader", ["read"])
    resp = await loaded.client.get(f"{P}/label/__name__/values", headers={"Authorization": f"Bearer {other_key}"})
    assert resp.json()["data"] == []
    mine = await loaded.client.get(f"{P}/label/__name__/values", headers={"Authorization": f"Bearer {other}"})
    assert mine.json()["data"] == ["http_requests_total", "latency_seconds", "up"]


async def test_an_oversized_form_is_refused_before_it_is_read(loaded: Api) -> None:
    resp = await loaded.client.post(f"{P}/query", data={"query": "up" + " " * 70_000})
    assert resp.status_code == 413  # the API's body cap, as on every route
    assert resp.json()["limit"] == "max_body_bytes"
