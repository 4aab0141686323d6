"""Series and range queries, answered in the shape of Prometheus' HTTP API so that
existing tools (Grafana's Prometheus data source, scripts) can read the results."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from adapters.http.deps import ApiServices, require, services
from adapters.http.params import format_value, parse_duration_ms, parse_time_ms
from domain.errors import ValidationError
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from domain.metrics.aggregations import Aggregation
from domain.metrics.query import RangeQuery, Selector

router = APIRouter(prefix="/api/v1", tags=["telemetry"])


def _aggregation(text: str, field: str) -> Aggregation:
    try:
        return Aggregation(text.lower())
    except ValueError:
        allowed = ", ".join(a.value for a in Aggregation)
        raise ValidationError(f"unknown function {text!r}; use one of {allowed}", field=field) from None


def _selector(text: str, field: str) -> Selector:
    """The selector, its errors naming the query parameter it came in (``query``, ``match[]``)."""
    try:
        return Selector.parse(text)
    except ValidationError as exc:
        raise ValidationError(exc.message, field=field) from None


@router.get("/series", summary="Series matching selectors (Prometheus /api/v1/series)")
async def list_series(
    principal: Annotated[Principal, Depends(require(Permission.READ_TELEMETRY))],
    svc: Annotated[ApiServices, Depends(services)],
    match: Annotated[list[str], Query(alias="match[]", description="series selector; repeatable")] = [],
    start: str | None = None,
    end: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> dict:
    selectors = [_selector(m, "match[]") for m in match]
    start_ms = parse_time_ms(start, field="start") if start else None
    end_ms = parse_time_ms(end, field="end") if end else None
    infos = await svc.queries.series(principal.tenant, selectors, start_ms, end_ms, limit)
    return {
        "status": "success",
        "data": [{"__name__": i.key.name, **i.key.labels.as_dict()} for i in infos],
        "series": [
            {"id": str(i.key.id), "name": i.key.name, "labels": i.key.labels.as_dict(), "kind": i.kind.value,
             "unit": i.unit, "first_seen_ms": i.first_seen_ms, "last_seen_ms": i.last_seen_ms}
            for i in infos
        ],
    }


@router.get("/query_range", summary="Evaluate a selector over a time range at a fixed step")
async def query_range(
    principal: Annotated[Principal, Depends(require(Permission.READ_TELEMETRY))],
    svc: Annotated[ApiServices, Depends(services)],
    query: Annotated[str, Query(description='series selector, e.g. cpu_usage{host="a"}')],
    start: Annotated[str, Query(description="Unix seconds or RFC 3339")],
    end: Annotated[str, Query(description="Unix seconds or RFC 3339")],
    step: Annotated[str, Query(description="duration (15s, 1m) or seconds")],
    fn: Annotated[str, Query(description="per-series function over each step's window")] = "last",
    window: Annotated[str | None, Query(description="look-back window per step (default: step; 5m for last)")] = None,
    q: Annotated[float | None, Query(description="quantile for fn=quantile or agg=quantile")] = None,
    by: Annotated[str | None, Query(description="comma-separated labels to aggregate by ('' = all series into one)")] = None,
    agg: Annotated[str, Query(description="cross-series aggregation when 'by' is given")] = "sum",
) -> dict:
    rq = RangeQuery(
        selector=_selector(query, "query"),
        start_ms=parse_time_ms(start, field="start"),
        end_ms=parse_time_ms(end, field="end"),
        step_ms=parse_duration_ms(step, field="step"),
        function=_aggregation(fn, "fn"),
        window_ms=parse_duration_ms(window, field="window") if window else None,
        q=q,
        group_by=None if by is None else tuple(x.strip() for x in by.split(",") if x.strip()),
        group_aggregation=_aggregation(agg, "agg"),
    )
    result = await svc.queries.query_range(principal.tenant, rq)
    return {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [
                {
                    "metric": ({"__name__": r.name} if r.name else {}) | r.labels.as_dict(),
                    "values": [[s.timestamp_ms / 1000, format_value(s.value)] for s in r.samples],
                }
                for r in result
            ],
        },
    }
