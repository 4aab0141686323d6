"""Grafana's Prometheus data source against /prometheus: the calls it makes on "Save &
test", in Explore (metric browser, query editor, a "Both" query) and for template
variables, sent as Grafana sends them (tests/unit/http/grafana_client.py says where
each request comes from in Grafana's source) and read back the way Grafana reads them."""

from __future__ import annotations

import base64

import pytest

from tests.unit.http.conftest import NOW_MS, Api
from tests.unit.http.grafana_client import GrafanaDataSource

NOW_S = NOW_MS // 1000
HOUR_AGO = NOW_S - 3600
SNAP = 600  # Grafana snaps metadata time ranges to its cache duration (10 min at cache level "low")


@pytest.fixture
async def grafana(api: Api) -> GrafanaDataSource:
    series = []
    for instance, job in (("a:9100", "node"), ("b:9100", "node"), ("c:8080", "api")):
        series.append({"name": "up", "labels": {"job": job, "instance": instance},
                       "samples": [[NOW_MS - 120_000 + i * 15_000, 1] for i in range(9)]})
    series.append({"name": "http_requests_total", "labels": {"job": "api", "code": "200"}, "kind": "counter",
                   "samples": [[NOW_MS - 120_000 + i * 15_000, 100.0 + 30 * i] for i in range(9)]})
    resp = await api.client.post("/api/v1/ingest", json={"series": series})
    assert resp.status_code == 202
    await api.drain()
    return GrafanaDataSource(api.client, "/prometheus", method="POST", query_timeout="60s")


def snapped() -> dict[str, str]:
    return {"start": str(HOUR_AGO - HOUR_AGO % SNAP), "end": str(NOW_S - NOW_S % SNAP + SNAP)}


async def test_save_and_test_succeeds_and_reads_as_prometheus(grafana: GrafanaDataSource) -> None:
    ok, message = await grafana.check_health()
    assert ok and message == "Successfully queried the Prometheus API."
    # buildinfo is GET-only in Prometheus: Grafana's POST is refused and retried as a GET.
    assert grafana.sent == [("POST", "api/v1/query"), ("POST", "api/v1/status/buildinfo"),
                            ("GET", "api/v1/status/buildinfo")]


async def test_save_and_test_with_the_get_method(grafana: GrafanaDataSource) -> None:
    grafana.method = "GET"
    assert (await grafana.check_health())[0]


async def test_save_and_test_with_basic_authentication(grafana: GrafanaDataSource, api: Api) -> None:
    # The data source's "Basic authentication": any user name, a read-scoped API key as the password
    _, key = await api.container.api_keys().create_api_key("default", "grafana", ["read"])
    grafana.client.headers["Authorization"] = "Basic " + base64.b64encode(f"grafana:{key}".encode()).decode()
    ok, message = await grafana.check_health()
    assert ok and message == "Successfully queried the Prometheus API."
    explore = await grafana.query_range("sum(up)", NOW_S - 60, NOW_S, 15)
    assert explore.json()["data"]["result"][0]["values"][-1] == [NOW_S, "3"]
    grafana.client.headers["Authorization"] = "Basic " + base64.b64encode(b"grafana:not-a-key").decode()
    assert (await grafana.check_health()) == (False, "401 - There was an error returned querying the Prometheus API.")


async def test_save_and_test_fails_clearly_without_a_credential(grafana: GrafanaDataSource) -> None:
    grafana.client.headers.pop("Authorization")
    ok, message = await grafana.check_health()
    assert not ok and message.startswith("401")


async def test_data_source_init_loads_recording_rules(grafana: GrafanaDataSource, api: Api) -> None:
    # datasource.ts loadRules(): recording rules map names to queries for "expand rules"
    await api.client.post("/api/v1/rule-groups", json={"name": "g", "rules": [
        {"record": "job:up:sum", "expr": "sum by (job) (up)"}, {"alert": "Down", "expr": "up == 0"}]})
    resp = await grafana.resource("api/v1/rules")
    groups = resp.json()["data"]["groups"]
    mapping = {r["name"]: r["query"] for g in groups for r in g["rules"] if r["type"] == "recording"}
    assert mapping == {"job:up:sum": "sum by (job) (up)"}
    assert grafana.sent[-2:] == [("POST", "api/v1/rules"), ("GET", "api/v1/rules")]  # GET-only, as in Prometheus


async def test_explore_opening_the_metric_browser(grafana: GrafanaDataSource) -> None:
    # language_provider.start(): metric names, then metadata and label names
    names = await grafana.resource("api/v1/label/__name__/values", snapped())
    assert names.json()["data"] == ["http_requests_total", "up"]
    metadata = await grafana.resource("api/v1/metadata")
    assert metadata.json()["data"]["http_requests_total"] == [{"type": "counter", "help": "", "unit": ""}]
    labels = await grafana.resource("api/v1/labels", snapped())
    assert labels.json()["data"] == ["__name__", "code", "instance", "job"]
    exemplars = await grafana.resource("api/v1/query_exemplars", {
        "query": "test", "start": str(NOW_MS - 1_800_000), "end": str(NOW_MS)})
    assert exemplars.json()["status"] == "success"


async def test_explore_metric_browser_narrowing_by_label(grafana: GrafanaDataSource) -> None:
    # Selecting a metric: its label names (labels with match[]), then values per label.
    labels = await grafana.resource("api/v1/labels", {**snapped(), "match[]": "up"})
    assert labels.json()["data"] == ["__name__", "instance", "job"]
    jobs = await grafana.resource("api/v1/label/job/values", {**snapped(), "match[]": "up"})
    assert jobs.json()["data"] == ["api", "node"]
    instances = await grafana.resource("api/v1/label/instance/values", {**snapped(), "match[]": 'up{job="node"}'})
    assert instances.json()["data"] == ["a:9100", "b:9100"]
    # fetchSeriesLabels: the series endpoint with Grafana's default limit
    series = await grafana.resource("api/v1/series", {**snapped(), "match[]": 'up{job="node"}', "limit": "40000"})
    assert [s["instance"] for s in series.json()["data"]] == ["a:9100", "b:9100"]


async def test_explore_runs_a_both_query(grafana: GrafanaDataSource) -> None:
    expr = "sum by (job) (rate(http_requests_total[1m]))"
    ranged = await grafana.query_range(expr, NOW_S - 60, NOW_S, 15)
    assert ranged.status_code == 200
    data = ranged.json()["data"]
    assert data["resultType"] == "matrix"
    (series,) = data["result"]
    assert series["metric"] == {"job": "api"}
    assert [t for t, _ in series["values"]] == [NOW_S - 60, NOW_S - 45, NOW_S - 30, NOW_S - 15, NOW_S]
    assert {v for _, v in series["values"]} == {"2"}  # 30 per 15 s
    instant = await grafana.query_instant(expr, NOW_S)
    assert instant.json()["data"]["result"] == [{"metric": {"job": "api"}, "value": [NOW_S, "2"]}]


async def test_explore_shows_query_errors_from_the_error_field(grafana: GrafanaDataSource) -> None:
    resp = await grafana.query_range("sum(rate(up[1m])", NOW_S - 60, NOW_S, 15)
    assert resp.status_code == 400
    body = resp.json()
    assert body["status"] == "error" and body["errorType"] == "bad_data" and body["error"]


async def test_template_variable_label_values_of_a_label(grafana: GrafanaDataSource) -> None:
    # label_values(job)
    resp = await grafana.resource("api/v1/label/job/values", {"start": str(HOUR_AGO), "end": str(NOW_S)})
    assert [{"text": v} for v in resp.json()["data"]] == [{"text": "api"}, {"text": "node"}]


async def test_template_variable_label_values_of_a_metric(grafana: GrafanaDataSource) -> None:
    # label_values(up, instance): the labels-match API (Prometheus >= 2.24, which buildinfo reports)
    resp = await grafana.resource("api/v1/label/instance/values", {"match[]": "up", "start": str(HOUR_AGO),
                                                                   "end": str(NOW_S)})
    assert resp.json()["data"] == ["a:9100", "b:9100", "c:8080"]


async def test_template_variable_query_result(grafana: GrafanaDataSource) -> None:
    # query_result(count by (job) (up)): an instant query; each sample becomes
    # 'name{labels} value timestamp_ms' in the variable's options.
    resp = await grafana.resource("api/v1/query", {"query": "count by (job) (up)", "time": str(NOW_S)})
    data = resp.json()["data"]
    assert data["resultType"] == "vector"
    texts = [("{" + ",".join(f'{k}="{v}"' for k, v in r["metric"].items()) + "}") + f" {r['value'][1]} "
             f"{int(r['value'][0] * 1000)}" for r in data["result"]]
    # Aggregation keeps the order groups were first seen in (series sorted by labels), as Prometheus does
    assert texts == [f'{{job="node"}} 2 {NOW_MS}', f'{{job="api"}} 1 {NOW_MS}']


async def test_template_variable_metrics_and_label_names_and_series(grafana: GrafanaDataSource) -> None:
    names = await grafana.resource("api/v1/label/__name__/values", {"start": str(HOUR_AGO), "end": str(NOW_S)})
    assert [n for n in names.json()["data"] if n.startswith("http_")] == ["http_requests_total"]  # metrics(http_.*)
    keys = await grafana.resource("api/v1/labels", snapped())  # label_names()
    assert "instance" in keys.json()["data"]
    series = await grafana.resource("api/v1/series", {"match[]": 'up{job="api"}', "start": str(HOUR_AGO),
                                                      "end": str(NOW_S)})
    assert series.json()["data"] == [{"__name__": "up", "instance": "c:8080", "job": "api"}]
