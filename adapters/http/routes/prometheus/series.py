"""``series``, ``labels``, ``label/{name}/values`` and ``metadata``: what Grafana's
metric browser, query editor and template variables ask before any query runs."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from adapters.http.deps import ApiServices, require, services
from adapters.http.routes.prometheus.common import (
    get_and_post,
    Form, PromApiError, invalid_parameter, limit_param, prometheus_errors, read_form, success, time_param, translate,
)
from adapters.http.routes.prometheus.query import engine_of
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from domain.metrics.kinds import MetricKind
from domain.metrics.query import Selector
from domain.promql import ast
from services.promql.engine import PromQLEngine

router = APIRouter(tags=["prometheus"])
Reader = Annotated[Principal, Depends(require(Permission.READ_TELEMETRY))]
Services = Annotated[ApiServices, Depends(services)]
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
TRUNCATED = "results truncated due to limit"
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def _matchers(engine: PromQLEngine, form: Form, *, name_parameter: bool = False) -> list[str]:
    """``match[]`` selectors, each checked as Prometheus' ``parseMatchersParam`` does;
    ``name_parameter``: errors say ``invalid parameter "match[]"`` (as /series does)."""
    found = form.getlist("match[]")
    for text in found:
        try:
            expr = ast.unwrap(engine.parse(text))
        except Exception as exc:
            error = translate(exc, parameter="match[]" if name_parameter else None)
            error.field = "match[]"
            raise error from None
        if not isinstance(expr, ast.VectorSelector):
            raise invalid_parameter("match[]", f"1:1: parse error: expected a series selector, got {text!r}")
        selector = expr.selector
        if selector.metric is None and all(m.matches_value("") for m in selector.matchers):
            raise PromApiError("bad_data", "match[] must contain at least one non-empty matcher", field="match[]")
    return found


def _partial(warnings: list[str], partial: bool, cap: int) -> list[str]:
    if not partial:
        return warnings
    return [*warnings, f"read from the first {cap} matching series only (the per-query series limit); "
                       "narrow match[] or the time range for a complete answer"]


def _range(form: Form) -> tuple[int | None, int | None]:
    return time_param(form, "start", None), time_param(form, "end", None)


def _limited(items: list, limit: int, cap: int) -> tuple[list, list[str]]:
    """The first ``limit`` items (0: all), and Prometheus' warning if some were cut;
    a result as large as the engine's cap was cut by the engine."""
    if limit and len(items) > limit:
        return items[:limit], [TRUNCATED]
    return items, ([TRUNCATED] if len(items) >= cap else [])


@get_and_post(router, "/series", "Series matching selectors (Prometheus API)")
@prometheus_errors
async def series(request: Request, principal: Reader, svc: Services) -> Response:
    engine = engine_of(svc)
    form = await read_form(request, svc.max_body_bytes)
    if not form.getlist("match[]"):
        raise PromApiError("bad_data", "no match[] parameter provided", field="match[]")
    start, end = _range(form)
    matchers = _matchers(engine, form, name_parameter=True)
    limit = limit_param(form)
    cap = engine.limits.max_series
    found = await engine.series(principal.tenant, matchers, start, end, min(limit + 1, cap) if limit else cap)
    found = sorted(set(found))
    kept, warnings = _limited(found, limit, cap)
    return success([dict(labels) for labels in kept], warnings=warnings)


@get_and_post(router, "/labels", "Label names (Prometheus API)")
@prometheus_errors
async def label_names(request: Request, principal: Reader, svc: Services) -> Response:
    engine = engine_of(svc)
    form = await read_form(request, svc.max_body_bytes)
    start, end = _range(form)
    matchers = _matchers(engine, form)
    limit = limit_param(form)
    names, partial = await engine.label_names(principal.tenant, matchers, start, end, limit + 1 if limit else 10**9)
    kept, warnings = _limited(names, limit, 10**9)
    return success(kept, warnings=_partial(warnings, partial, engine.limits.max_series))


@router.get("/label/{name}/values", summary="Values of a label (Prometheus API)")
@prometheus_errors
async def label_values(name: str, request: Request, principal: Reader, svc: Services) -> Response:
    engine = engine_of(svc)
    if not LABEL_NAME.match(name):
        raise PromApiError("bad_data", f"invalid label name: \"{name}\"", field="name")
    form = await read_form(request, svc.max_body_bytes)
    start, end = _range(form)
    matchers = _matchers(engine, form)
    limit = limit_param(form)
    values, partial = await engine.label_values(principal.tenant, name, matchers, start, end,
                                                limit + 1 if limit else 10**9)
    kept, warnings = _limited(values, limit, 10**9)
    return success(kept, warnings=_partial(warnings, partial, engine.limits.max_series))


def family(name: str, kind: MetricKind) -> str:
    """The metric family a series belongs to, as metadata names it: a histogram's
    ``_bucket``, ``_sum`` and ``_count`` series are one family."""
    if kind is MetricKind.HISTOGRAM:
        for suffix in HISTOGRAM_SUFFIXES:
            if name.endswith(suffix):
                return name[: -len(suffix)]
    return name


@router.get("/metadata", summary="Metric metadata: kind and unit per metric family (Prometheus API)")
@prometheus_errors
async def metadata(request: Request, principal: Reader, svc: Services) -> Response:
    """What the store knows of each family: its kind and unit (``help`` is not kept).
    ``metric`` restricts to one family; ``limit`` caps the families,
    ``limit_per_metric`` the entries per family."""
    engine = engine_of(svc)
    form = await read_form(request, svc.max_body_bytes)
    limit, per_metric = limit_param(form), limit_param(form, "limit_per_metric")
    metric = form.get("metric")
    selectors = []
    if metric:
        names = [metric] + [metric + s for s in HISTOGRAM_SUFFIXES]
        try:
            selectors = [Selector(n) for n in names]
        except Exception:
            return success({})  # not a metric name: nothing has it
    infos = await svc.queries.series(principal.tenant, selectors, None, None, engine.limits.max_series)
    out: dict[str, list[dict[str, str]]] = {}
    for info in sorted(infos, key=lambda i: (i.key.name, i.kind.value, i.unit)):
        name = family(info.key.name, info.kind)
        if metric and name != metric:
            continue
        entry = {"type": info.kind.value, "help": "", "unit": info.unit}
        entries = out.get(name)
        if entries is None:
            if limit and len(out) >= limit:
                continue
            entries = out[name] = []
        if entry not in entries and not (per_metric and len(entries) >= per_metric):
            entries.append(entry)
    return success(out)
