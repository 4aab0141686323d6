"""The requests Grafana's Prometheus data source sends, built the way Grafana builds
them, so tests can replay "Save & test", Explore and template variables against us.

Where each request comes from (grafana/grafana, main branch in 2025):

* ``pkg/promlib/client/client.go``: the backend's client. Query and range queries go
  as ``POST`` with an ``application/x-www-form-urlencoded`` body when the data source's
  HTTP method is POST (its default), with times as float seconds
  (``strconv.FormatFloat(..., 'f', -1, 64)``) and the step as float seconds; resource
  calls (the frontend's metadata requests, proxied by the backend) try ``POST`` first
  and fall back to ``GET`` on 405 or 400, except for the paths it lists as GET-only
  (``api/v1/label/``, ``api/v1/metadata``...).
* ``pkg/promlib/healthcheck.go``: "Save & test" is an instant query of ``1+1`` over
  the time range 1s..4s (so ``time=4``); ``pkg/promlib/heuristics.go`` then reads
  ``api/v1/status/buildinfo`` and takes a non-empty ``features`` map for Mimir.
* ``packages/grafana-prometheus/src/datasource.ts``: ``metadataRequest`` (POST for
  ``api/v1/query``, ``query_range``, ``series``, ``labels``, GET otherwise),
  ``loadRules`` (``api/v1/rules``), ``areExemplarsAvailable`` (``query_exemplars``
  with ``start``/``end`` in *milliseconds*).
* ``packages/grafana-prometheus/src/language_provider.ts``: the metric browser and
  query editor: ``label/__name__/values``, ``metadata``, ``labels`` (with ``match[]``),
  ``label/<name>/values`` with ``match[]``, ``series`` with ``match[]`` and ``limit``;
  start/end snapped to whole seconds.
* ``packages/grafana-prometheus/src/metric_find_query.ts``: template variables:
  ``label_values(job)`` is ``label/job/values``, ``label_values(up, instance)`` is
  ``label/instance/values?match[]=up``, ``query_result(q)`` an instant query,
  ``metrics(re)`` ``label/__name__/values``, a bare selector ``series``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

import httpx

GET_ONLY = ("api/v1/label/", "api/v1/metadata")  # client.go's endpointsSupportOnlyGet (those that match)
# datasource.ts: the frontend POSTs these as forms (when the data source's method is POST)
GET_AND_POST = ("api/v1/query", "api/v1/query_range", "api/v1/series", "api/v1/labels")
Params = Mapping[str, str | Sequence[str]]


def format_time(seconds: float) -> str:
    """``strconv.FormatFloat(t, 'f', -1, 64)``: shortest digits, never an exponent."""
    text = repr(float(seconds))
    if "e" in text:
        text = f"{seconds:f}"
    return text[:-2] if text.endswith(".0") else text


class GrafanaDataSource:
    """A Prometheus data source as Grafana configures it: its URL (here the path prefix
    ``/prometheus``), HTTP method POST, and credentials sent with every request."""

    def __init__(self, client: httpx.AsyncClient, url: str = "/prometheus", method: str = "POST",
                 query_timeout: str | None = None) -> None:
        self.client = client
        self.url = url.rstrip("/")
        self.method = method
        self.query_timeout = query_timeout
        self.sent: list[tuple[str, str]] = []  # (method, path) of every request, in order

    async def _send(self, method: str, path: str, params: Params, body: Params | None = None) -> httpx.Response:
        """``params`` go in the URL; ``body``, when given, as the form body of a POST."""
        url = f"{self.url}/{path}"
        self.sent.append((method, path))
        if method == "GET":
            return await self.client.get(url, params=params)
        return await self.client.post(url, params=params, content=urlencode(body or {}, doseq=True),
                                      headers={"Content-Type": "application/x-www-form-urlencoded"})

    # -- the backend's query client (client.go) ------------------------------------------

    async def query_instant(self, expr: str, at_s: float) -> httpx.Response:
        params = {"query": expr, "time": format_time(at_s)}
        if self.query_timeout:
            params["timeout"] = self.query_timeout
        return await self._query("api/v1/query", params)

    async def query_range(self, expr: str, start_s: float, end_s: float, step_s: float) -> httpx.Response:
        params = {"query": expr, "start": format_time(start_s), "end": format_time(end_s), "step": format_time(step_s)}
        if self.query_timeout:
            params["timeout"] = self.query_timeout
        return await self._query("api/v1/query_range", params)

    async def _query(self, path: str, params: Params) -> httpx.Response:
        if self.method == "GET":
            return await self._send("GET", path, params)
        return await self._send("POST", path, {}, params)

    async def resource(self, path: str, params: Params | None = None) -> httpx.Response:
        """A frontend ``metadataRequest`` through the backend's ``QueryResource``.

        The frontend sends a form body for the GET_AND_POST paths (method POST) and URL
        parameters otherwise; the backend then POSTs (keeping both where they were)
        unless the path is GET-only, and repeats as a GET with everything in the URL
        when the POST is answered 405 or 400."""
        params = params or {}
        in_body = self.method == "POST" and path in GET_AND_POST
        url_params, body = ({}, params) if in_body else (params, {})
        if self.method == "GET" or path.startswith(GET_ONLY):
            return await self._send("GET", path, {**url_params, **body})
        resp = await self._send("POST", path, url_params, body)
        if resp.status_code in (405, 400):
            resp = await self._send("GET", path, {**url_params, **body})
        return resp

    # -- "Save & test" (healthcheck.go, heuristics.go) -------------------------------------

    async def check_health(self) -> tuple[bool, str]:
        resp = await self.query_instant("1+1", 4)
        if resp.status_code != 200 or resp.json().get("status") != "success":
            return False, f"{resp.status_code} - There was an error returned querying the Prometheus API."
        info = await self.resource("api/v1/status/buildinfo")
        if info.status_code == 200 and info.json()["data"].get("features"):
            return True, "Mimir"
        return True, "Successfully queried the Prometheus API."
