"""A tenant's saved dashboards: panels of PromQL expressions, each drawn as a line, area
or stacked chart or a table over a time range (the Performance page's view, saved).

A dashboard is a versioned configuration resource (docs/adr/0017). Its *definition*
(title, description, panels) is what the API accepts, what "Export JSON" writes and
what an import reads back; ``schema`` names the format so a file from elsewhere is
refused with a clear reason. The expressions are parsed by the service (the PromQL
parser is not the domain's); everything else is checked here, each error naming its
field (``panels[2].range.from``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.errors import LimitExceeded, ValidationError

SCHEMA = "observer-eye.dashboard/v1"
CHART_KINDS = ("line", "area", "stacked", "table")
RANGE_EDGE = re.compile(r"^(now(-\d{1,6}[smhdw])?|\d{1,15})$")  # as the Performance page's URL keeps them
ZONE = re.compile(r"^(browser|UTC|[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2})$")
STEP = re.compile(r"^\d{1,7}(ms|[smhdw])$")
DASHBOARD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")


@dataclass(frozen=True, slots=True)
class DashboardLimits:
    max_panels: int = 50
    max_queries: int = 10  # expressions per panel
    max_query_length: int = 4_000
    max_title: int = 200
    max_description: int = 2_000


@dataclass(frozen=True, slots=True)
class Panel:
    title: str
    queries: tuple[str, ...]
    chart: str = "line"
    range_from: str = "now-1h"
    range_to: str = "now"
    timezone: str = "browser"
    step: str | None = None  # None: chosen from the range


@dataclass(frozen=True, slots=True)
class Dashboard:
    id: str
    tenant: str
    title: str
    description: str = ""
    panels: tuple[Panel, ...] = ()
    version: int = 1
    created_by: str = ""
    created_at_ms: int = 0
    updated_by: str = ""
    updated_at_ms: int = 0


def _text(doc: Mapping[str, Any], key: str, field: str, *, required: bool, max_len: int, default: str = "") -> str:
    value = doc.get(key, None if required else default)
    if not isinstance(value, str):
        raise ValidationError("is required and must be text" if required else "must be text", field=field)
    value = value.strip()
    if required and not value:
        raise ValidationError("must not be empty", field=field)
    if len(value) > max_len:
        raise LimitExceeded(f"{len(value)} characters, over the limit of {max_len}", field=field,
                            limit="max_title" if key == "title" else f"max_{key}", value=max_len)
    return value


def _members(doc: object, field: str, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(doc, Mapping):
        raise ValidationError("must be an object", field=field)
    unknown = sorted(set(doc) - allowed)
    if unknown:
        where = f"{field}.{unknown[0]}" if field else unknown[0]
        raise ValidationError(f"unknown member {unknown[0]!r} (known: {', '.join(sorted(allowed))})", field=where)
    return doc


def _edge(value: object, field: str) -> str:
    if not isinstance(value, str) or not RANGE_EDGE.match(value):
        raise ValidationError("must be now, now-<n><s|m|h|d|w> (e.g. now-6h) or epoch milliseconds", field=field)
    return value


def parse_panel(doc: object, field: str, limits: DashboardLimits) -> Panel:
    doc = _members(doc, field, {"title", "queries", "chart", "range", "step"})
    title = _text(doc, "title", f"{field}.title", required=True, max_len=limits.max_title)
    queries = doc.get("queries")
    if not isinstance(queries, Sequence) or isinstance(queries, str) or not queries:
        raise ValidationError("must be a list of one or more PromQL expressions", field=f"{field}.queries")
    if len(queries) > limits.max_queries:
        raise LimitExceeded(f"{len(queries)} expressions, over the limit of {limits.max_queries}",
                            field=f"{field}.queries", limit="max_queries", value=limits.max_queries)
    exprs = []
    for j, q in enumerate(queries):
        at = f"{field}.queries[{j}]"
        if not isinstance(q, str) or not q.strip():
            raise ValidationError("must be a PromQL expression", field=at)
        if len(q) > limits.max_query_length:
            raise LimitExceeded(f"{len(q)} characters, over the limit of {limits.max_query_length}", field=at,
                                limit="max_query_length", value=limits.max_query_length)
        exprs.append(q.strip())
    chart = doc.get("chart", "line")
    if chart not in CHART_KINDS:
        raise ValidationError(f"unknown chart {chart!r}; use one of {', '.join(CHART_KINDS)}", field=f"{field}.chart")
    rng = _members(doc.get("range", {}), f"{field}.range", {"from", "to", "timezone"})
    start = _edge(rng.get("from", "now-1h"), f"{field}.range.from")
    end = _edge(rng.get("to", "now"), f"{field}.range.to")
    if start.isdigit() and end.isdigit() and int(start) >= int(end):
        raise ValidationError("must be before range.to", field=f"{field}.range.from")
    zone = rng.get("timezone", "browser")
    if not isinstance(zone, str) or not ZONE.match(zone):
        raise ValidationError("must be browser or an IANA time zone name (e.g. Europe/Berlin)",
                              field=f"{field}.range.timezone")
    step = doc.get("step")
    if step is not None and (not isinstance(step, str) or not STEP.match(step)):
        raise ValidationError("must be a duration like 30s or 5m, or null", field=f"{field}.step")
    return Panel(title, tuple(exprs), chart, start, end, zone, step)


def parse_definition(doc: object, *, id: str, tenant: str, limits: DashboardLimits = DashboardLimits()) -> Dashboard:
    """A dashboard from its definition (as exported); every problem names its field."""
    doc = _members(doc, "", {"schema", "title", "description", "panels"})
    if "schema" in doc and doc["schema"] != SCHEMA:
        raise ValidationError(f"not a dashboard this version reads (schema must be {SCHEMA!r})", field="schema")
    if not DASHBOARD_ID.match(id):
        raise ValidationError("must be 1-200 letters, digits or _ . - (starting with a letter or digit)", field="id")
    title = _text(doc, "title", "title", required=True, max_len=limits.max_title)
    description = _text(doc, "description", "description", required=False, max_len=limits.max_description)
    panels = doc.get("panels", [])
    if not isinstance(panels, Sequence) or isinstance(panels, str):
        raise ValidationError("must be a list of panels", field="panels")
    if len(panels) > limits.max_panels:
        raise LimitExceeded(f"{len(panels)} panels, over the limit of {limits.max_panels}", field="panels",
                            limit="max_panels", value=limits.max_panels)
    return Dashboard(id, tenant, title, description,
                     tuple(parse_panel(p, f"panels[{i}]", limits) for i, p in enumerate(panels)))


def panel_definition(p: Panel) -> dict[str, Any]:
    return {"title": p.title, "queries": list(p.queries), "chart": p.chart,
            "range": {"from": p.range_from, "to": p.range_to, "timezone": p.timezone}, "step": p.step}


def dashboard_definition(d: Dashboard) -> dict[str, Any]:
    """What "Export JSON" writes, and what creating or importing one reads back."""
    return {"schema": SCHEMA, "title": d.title, "description": d.description,
            "panels": [panel_definition(p) for p in d.panels]}


def dashboard_view(d: Dashboard) -> dict[str, Any]:
    """As the API shows it and the audit records it."""
    return {"id": d.id, **dashboard_definition(d), "version": d.version, "created_by": d.created_by,
            "created_at_ms": d.created_at_ms, "updated_by": d.updated_by, "updated_at_ms": d.updated_at_ms}
