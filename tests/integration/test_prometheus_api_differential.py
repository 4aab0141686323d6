"""The /prometheus API against Prometheus 2.42's own HTTP API on the same data: the same
requests (GET and POST forms, every time and duration format, every parameter error)
get the same status codes, the same ``errorType`` and the same data. Error texts may
word things differently (our parser is not Prometheus'), so they are not compared."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

import httpx
import pytest

from domain.metrics.batch import SampleBatch, SeriesSamples
from domain.metrics.kinds import MetricKind
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from entrypoints.container import build_container
from entrypoints.runtime import build_app
from entrypoints.settings import Settings
from tests.integration.promql.dataset import END_MS, MINUTE, SERIES, START_MS
from tests.support.prometheus_server import PrometheusServer

TENANT = "default"
NAMES = {"http_requests_total", "node_temperature_celsius", "flappy_up", "request_duration_seconds_bucket"}
DATA = [s for s in SERIES if s.name in NAMES]
T = (START_MS + 90 * MINUTE) / 1000
T_RFC = "2023-11-14T23:30:00.250Z"  # START + 90 min, with milliseconds
START, END = START_MS / 1000, END_MS / 1000

# (method, path, params): every request is sent to both servers.
REQUESTS = [
    ("GET", "/query", {"query": "http_requests_total", "time": str(T)}),
    ("POST", "/query", {"query": "sum by (job) (rate(http_requests_total[5m]))", "time": str(T)}),
    ("POST", "/query", {"query": "node_temperature_celsius", "time": T_RFC}),
    ("GET", "/query", {"query": "1+1", "time": "4"}),  # Grafana's "Save & test"
    ("GET", "/query", {"query": '"a string"', "time": str(T)}),
    ("GET", "/query", {"query": "flappy_up[2m]", "time": str(T)}),
    ("GET", "/query", {"query": "up{", "time": str(T)}),
    ("GET", "/query", {"query": "", "time": str(T)}),
    ("GET", "/query", {"query": "up", "time": "soon"}),
    ("GET", "/query", {"query": "up", "time": "2023-11-14"}),
    ("GET", "/query", {"query": "up", "time": str(T), "timeout": "later"}),
    ("GET", "/query", {"query": 'label_replace(flappy_up, "x", "$1", "job", "(")', "time": str(T)}),
    ("POST", "/query_range", {"query": "rate(http_requests_total[5m])", "start": str(START), "end": str(END),
                              "step": "60"}),
    ("POST", "/query_range", {"query": "max(node_temperature_celsius)", "start": str(START), "end": T_RFC,
                              "step": "5m"}),
    ("GET", "/query_range", {"query": "flappy_up", "start": str(T - 600), "end": str(T), "step": "37.5"}),
    ("GET", "/query_range", {"query": "flappy_up", "start": str(T), "end": str(T - 1), "step": "15"}),
    ("GET", "/query_range", {"query": "flappy_up", "start": str(T), "end": str(T + 60), "step": "0"}),
    ("GET", "/query_range", {"query": "flappy_up", "start": str(T), "end": str(T + 60), "step": "-15"}),
    ("GET", "/query_range", {"query": "flappy_up", "start": str(T), "end": str(T + 60), "step": "1.5m"}),
    ("GET", "/query_range", {"query": "flappy_up", "start": str(T), "end": str(T + 60), "step": "1m30s"}),
    ("GET", "/query_range", {"query": "flappy_up", "start": str(T), "end": str(T + 60), "step": "30s1m"}),
    ("GET", "/query_range", {"query": "vector(1)", "start": "0", "end": "11000", "step": "1"}),
    ("GET", "/query_range", {"query": "vector(1)", "start": "0", "end": "11001", "step": "1"}),
    ("GET", "/query_range", {"query": "flappy_up[5m]", "start": str(T), "end": str(T + 60), "step": "15"}),
    ("GET", "/query_range", {"end": str(T), "query": "flappy_up", "step": "15"}),
    ("POST", "/series", {"match[]": ["flappy_up", 'http_requests_total{code="500"}'], "start": str(START),
                         "end": str(END)}),
    ("GET", "/series", {"match[]": "node_temperature_celsius"}),
    ("GET", "/series", {}),
    ("GET", "/series", {"match[]": '{job=~".*"}'}),
    ("GET", "/series", {"match[]": "rate(x[5m])"}),
    ("GET", "/labels", {}),
    ("POST", "/labels", {"match[]": "flappy_up", "start": str(START), "end": str(END)}),
    ("GET", "/labels", {"start": "yesterday"}),
    ("GET", "/label/__name__/values", {}),
    ("GET", "/label/job/values", {"match[]": "http_requests_total", "start": str(START), "end": str(END)}),
    ("GET", "/label/instance/values", {"match[]": ['flappy_up{instance="i1"}', "node_temperature_celsius"]}),
    ("GET", "/label/le/values", {"start": str(END + 3600)}),
    ("GET", "/label/not-a-label/values", {}),
    ("GET", "/query_exemplars", {"query": "flappy_up", "start": str(START), "end": str(END)}),
    ("GET", "/query_exemplars", {"query": "rate(", "start": str(START), "end": str(END)}),
    ("GET", "/query_exemplars", {"query": "flappy_up", "start": str(END), "end": str(START)}),
    ("POST", "/format_query", {"query": "sum(rate(http_requests_total[5m]))by(job)"}),
    ("GET", "/format_query", {"query": "sum("}),
]


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory) -> PrometheusServer:
    with PrometheusServer(tmp_path_factory.mktemp("prometheus")) as server:
        server.remote_write([(s.all_labels, s.timestamps, s.values) for s in DATA])
        yield server


@pytest.fixture
async def ours(tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    container = build_container(Settings(data_dir=tmp_path, agent=False))
    await container.sample_store().write([SampleBatch(TENANT, tuple(
        SeriesSamples(SeriesKey.of(TENANT, s.name, s.labels), tuple(map(Sample, s.timestamps.tolist(), s.values.tolist())),
                      MetricKind.GAUGE, "")
        for s in DATA))])
    await container.tenants().bootstrap_tenant(TENANT)
    _, key = await container.api_keys().create_api_key(TENANT, "diff", ["read"])
    app = build_app(container, with_agent=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ours",
                                 headers={"Authorization": f"Bearer {key}"}) as client:
        yield client
    container.promql().close()


def _close(a: object, b: object) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, str) and isinstance(b, str) and a != b:
        try:
            x, y = float(a), float(b)
        except ValueError:
            return False
        return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


@pytest.mark.parametrize(("method", "path", "params"), REQUESTS, ids=[f"{m} {p} {i}" for i, (m, p, _) in enumerate(REQUESTS)])
async def test_same_answer_as_prometheus(prometheus: PrometheusServer, ours: httpx.AsyncClient, method: str,
                                         path: str, params: dict) -> None:
    if method == "GET":
        theirs = prometheus.get("/api/v1" + path, params=params)
        mine = await ours.get("/prometheus/api/v1" + path, params=params)
    else:
        theirs = prometheus.post("/api/v1" + path, data=params)
        mine = await ours.post("/prometheus/api/v1" + path, data=params)
    assert mine.status_code == theirs.status_code, (mine.text, theirs.text)
    if theirs.status_code == 204:
        return
    expected, got = theirs.json(), mine.json()
    assert got["status"] == expected["status"], (got, expected)
    if expected["status"] == "error":
        assert got["errorType"] == expected["errorType"], (got, expected)
        return
    assert got.get("warnings") == expected.get("warnings")
    assert _close(got["data"], expected["data"]), (got["data"], expected["data"])
