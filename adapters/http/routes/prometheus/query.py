"""``query``, ``query_range``, ``query_exemplars`` and ``format_query``: PromQL through
the engine, answered byte for byte in Prometheus' shapes (GET, or POST with a form)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from adapters.http.deps import ApiServices, require, services
from adapters.http.routes.prometheus.common import (
    get_and_post,
    PromApiError, duration_param, invalid_parameter, prometheus_errors, read_form, required_time, success,
    time_param, translate, Form,
)
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from domain.promql.timing import selector_ranges
from services.promql.engine import PromQLEngine
from services.promql.result import QueryResult

router = APIRouter(tags=["prometheus"])
Reader = Annotated[Principal, Depends(require(Permission.READ_TELEMETRY))]
Services = Annotated[ApiServices, Depends(services)]
MAX_RESOLUTION = 11_000  # points per series of a range query, as Prometheus allows


def engine_of(svc: ApiServices) -> PromQLEngine:
    if svc.promql is None:
        raise PromApiError("unavailable", "PromQL is not configured in this process")
    return svc.promql


def _timeout_s(form: Form) -> float | None:
    if form.get("timeout") == "":
        return None
    return duration_param(form, "timeout") / 1000


async def _answer(engine: PromQLEngine, result: QueryResult, form: Form) -> Response:
    raw = await engine.render(result)
    if form.get("stats") != "":
        raw = raw[:-1] + b',"stats":' + json.dumps(result.stats.to_prometheus()).encode() + b"}"
    return success(raw=raw)


@get_and_post(router, "/query", "Evaluate PromQL at one instant (Prometheus API)")
@prometheus_errors
async def query(request: Request, principal: Reader, svc: Services) -> Response:
    """``query``, ``time`` (RFC 3339 or Unix seconds; default now), ``timeout``,
    ``stats`` (any value includes the query's statistics)."""
    engine = engine_of(svc)
    form = await read_form(request, svc.max_body_bytes)
    at = time_param(form, "time", svc.clock.now_ms())
    assert at is not None
    timeout = _timeout_s(form)
    try:
        result = await engine.instant(principal.tenant, form.get("query"), at, timeout_s=timeout)
    except Exception as exc:
        raise translate(exc, parameter="query") from None
    return await _answer(engine, result, form)


@get_and_post(router, "/query_range", "Evaluate PromQL over a range (Prometheus API)")
@prometheus_errors
async def query_range(request: Request, principal: Reader, svc: Services) -> Response:
    """``query``, ``start``, ``end``, ``step`` (duration or seconds), ``timeout``, ``stats``."""
    engine = engine_of(svc)
    form = await read_form(request, svc.max_body_bytes)
    start = required_time(form, "start")
    end = required_time(form, "end")
    if end < start:
        raise invalid_parameter("end", "end timestamp must not be before start time")
    step = duration_param(form, "step")
    if step <= 0:
        raise invalid_parameter("step", "zero or negative query resolution step widths are not accepted. "
                                        "Try a positive integer")
    if (end - start) // step > MAX_RESOLUTION:
        raise PromApiError("bad_data", f"exceeded maximum resolution of {MAX_RESOLUTION:,} points per timeseries. "
                                       "Try decreasing the query resolution (?step=XX)", field="step")
    timeout = _timeout_s(form)
    try:
        result = await engine.range(principal.tenant, form.get("query"), start, end, step, timeout_s=timeout)
    except Exception as exc:
        error = translate(exc)
        error.field = error.field or "query"
        raise error from None
    return await _answer(engine, result, form)


@get_and_post(router, "/query_exemplars", "Exemplars (none are kept: always empty)")
@prometheus_errors
async def query_exemplars(request: Request, principal: Reader, svc: Services) -> Response:
    """The store keeps no exemplars, so the answer is empty; the query and the times are
    still checked as Prometheus checks them."""
    engine = engine_of(svc)
    form = await read_form(request, svc.max_body_bytes)
    start = time_param(form, "start", None)
    end = time_param(form, "end", None)
    if start is not None and end is not None and end < start:
        raise PromApiError("bad_data", "end timestamp must not be before start timestamp", field="end")
    try:
        expr = engine.parse(form.get("query"))
    except Exception as exc:
        error = translate(exc)
        error.field = "query"
        raise error from None
    if not selector_ranges(expr, 0, 0, lookback_ms=0):
        return Response(status_code=204)  # Prometheus answers a query without selectors with no content
    return success([])


@get_and_post(router, "/format_query", "Prettify a PromQL expression")
@prometheus_errors
async def format_query(request: Request, principal: Reader, svc: Services) -> Response:
    engine = engine_of(svc)
    form = await read_form(request, svc.max_body_bytes)
    try:
        return success(engine.format_query(form.get("query")))
    except Exception as exc:
        raise translate(exc, parameter="query") from None
