"""Alert rules as versioned configuration resources (docs/adr/0017-configuration-resources.md):
``/api/v1/rules``, every kind the streaming evaluator runs (threshold, absence, anomaly),
and their dry run over the stored samples (services/rule_dry_run.py).

Reads need ``alerts:read``, writes ``rules:manage``. Single rules answer with their
version as ``ETag``; PUT, PATCH (a JSON merge patch, RFC 7396), enable, disable and
DELETE name the version they read (``version`` in the body or query, or ``If-Match``):
428 without one, 409 naming ``current_version`` when it is stale.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import pydantic
from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from adapters.http.deps import ApiServices, require, services
from adapters.http.params import parse_duration_ms
from adapters.http.resources import IfMatch, Paging, expected_version, page, paging, set_etag
from adapters.http.middleware.audit import AUDITED
from adapters.http.routes.auth import actor_of
from domain.alerts.rules import DEFAULT_GROUP, AbsenceRule, AnomalyRule, Comparison, ThresholdRule
from domain.anomaly.registry import make_detector
from domain.errors import NotFound, ValidationError
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from domain.metrics.aggregations import Aggregation
from domain.metrics.labels import LabelSet
from domain.metrics.query import Selector
from domain.metrics.samples import json_value
from ports.repositories import AlertRule
from services.alerting import new_id
from services.rule_dry_run import DryRunResult
from services.rules import RuleFilter, RuleService, rule_kind, rule_view

router = APIRouter(prefix="/api/v1/rules", tags=["rules"])
Reader = Annotated[Principal, Depends(require(Permission.READ_ALERTS))]
Manager = Annotated[Principal, Depends(require(Permission.MANAGE_RULES))]
Svc = Annotated[ApiServices, Depends(services)]
RULE_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
RESERVED_IDS = frozenset({"groups", "dry-run"})


class RuleIn(BaseModel):
    """A rule definition. Durations are text: ``30s``, ``5m``, ``1h30m``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    type: Literal["threshold", "absence", "anomaly"] = "threshold"
    name: str = Field(description="the alertname")
    selector: str = Field(description='series selector, e.g. cpu_usage{host="a"}')
    group: str = Field(DEFAULT_GROUP, description="the group it is listed under (GET /api/v1/rules/groups)")
    enabled: bool = Field(True, description="a disabled rule is kept but not evaluated")
    for_: str = Field("0s", alias="for", description="how long the condition must hold before firing")
    keep_firing_for: str = "0s"
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    # threshold rules
    aggregation: str = "last"
    window: str = "1m"
    op: str = ">"
    threshold: float | None = None
    q: float | None = None
    # absence rules
    absent_for: str | None = None
    # anomaly rules: a streaming detector per series (domain/anomaly); active when its
    # score in [0, 1] reaches level
    detector: str | None = None
    level: float | None = None


class RuleCreate(RuleIn):
    id: str | None = Field(None, min_length=1, max_length=200, pattern=RULE_ID,
                           description="the rule's id (default: one is made); 409 if it exists")


class RuleReplace(RuleIn):
    version: int | None = Field(None, ge=1, description="the version you read (or send If-Match)")


class VersionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int | None = Field(None, ge=1, description="the version you read (or send If-Match)")


def build_rule(tenant: str, rule_id: str, body: RuleIn) -> AlertRule:
    """The domain rule of a definition; every problem names the field it is in."""
    common = dict(
        id=rule_id, tenant=tenant, name=body.name, selector=Selector.parse(body.selector),
        for_ms=parse_duration_ms(body.for_, field="for"),
        keep_firing_for_ms=parse_duration_ms(body.keep_firing_for, field="keep_firing_for"),
        labels=LabelSet.of(body.labels), annotations=tuple(sorted(body.annotations.items())),
        group=body.group, enabled=body.enabled,
    )
    if body.type == "absence":
        if body.absent_for is None:
            raise ValidationError("an absence rule needs absent_for (e.g. 5m)", field="absent_for")
        return AbsenceRule(**common, absent_for_ms=parse_duration_ms(body.absent_for, field="absent_for"))
    if body.type == "anomaly":
        if not body.detector:
            raise ValidationError("an anomaly rule needs a detector (e.g. seasonal)", field="detector")
        if body.level is None:
            raise ValidationError("an anomaly rule needs a level in (0, 1] (e.g. 0.9)", field="level")
        make_detector(body.detector)  # an unknown name is refused now, naming the known ones
        return AnomalyRule(**common, detector=body.detector, level=body.level)
    if body.threshold is None or math.isnan(body.threshold):
        raise ValidationError("a threshold rule needs a numeric threshold", field="threshold")
    try:
        op = Comparison(body.op)
    except ValueError:
        raise ValidationError(f"unknown comparison {body.op!r}; use one of > >= < <= == !=", field="op") from None
    try:
        agg = Aggregation(body.aggregation)
    except ValueError:
        raise ValidationError(f"unknown aggregation {body.aggregation!r}", field="aggregation") from None
    return ThresholdRule(**common, aggregation=agg, window_ms=parse_duration_ms(body.window, field="window"),
                         comparison=op, threshold=body.threshold, q=body.q)


def rule_definition(rule: AlertRule) -> dict[str, Any]:
    """A stored rule as the definition that builds it again (what PATCH merges into)."""
    doc: dict[str, Any] = {
        "type": rule_kind(rule), "name": rule.name, "selector": str(rule.selector), "group": rule.group,
        "enabled": rule.enabled, "for": f"{rule.for_ms}ms", "keep_firing_for": f"{rule.keep_firing_for_ms}ms",
        "labels": rule.labels.as_dict(), "annotations": dict(rule.annotations),
    }
    if isinstance(rule, ThresholdRule):
        doc |= {"aggregation": rule.aggregation.value, "window": f"{rule.window_ms}ms", "op": rule.comparison.value,
                "threshold": rule.threshold, "q": rule.q}
    elif isinstance(rule, AbsenceRule):
        doc |= {"absent_for": f"{rule.absent_for_ms}ms"}
    elif isinstance(rule, AnomalyRule):
        doc |= {"detector": rule.detector, "level": rule.level}
    return doc


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge member by member, ``null`` removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _parsed(model: type[BaseModel], doc: Any) -> Any:
    try:
        return model.model_validate(doc)
    except pydantic.ValidationError as exc:  # answered as the request's own validation errors (field named)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None


def _rules(svc: ApiServices) -> RuleService:
    if svc.rules is None:
        raise NotFound("alert rule management is not configured")
    return svc.rules


def _one(response: Response, rule: AlertRule) -> dict[str, Any]:
    set_etag(response, rule.version)
    return {"data": rule_view(rule)}


def _list_key(rule: AlertRule) -> str:
    return f"{rule.group}\x1f{rule.name}\x1f{rule.id}"  # a group has no control characters


@router.get("", summary="Alert rules, by group and name (filters: type, group, enabled, q)")
async def list_rules(
    principal: Reader, svc: Svc, p: Annotated[Paging, Depends(paging)],
    type: Annotated[Literal["threshold", "absence", "anomaly"] | None, Query(description="the rule kind")] = None,
    group: Annotated[str | None, Query(max_length=200)] = None,
    enabled: Annotated[bool | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=200, description="substring of the name or of a label=value")] = None,
) -> dict:
    rules = await _rules(svc).list(principal.tenant, RuleFilter(type, group, enabled, q))
    return page(rules, p, _list_key, rule_view)


@router.get("/groups", summary="The rule groups: how many rules each holds, and how many are enabled")
async def list_groups(principal: Reader, svc: Svc) -> dict:
    groups = await _rules(svc).groups(principal.tenant)
    return {"data": [{"name": g.name, "rules": g.rules, "enabled": g.enabled} for g in groups]}


class DryRunIn(RuleIn):
    range: str = Field("24h", description="how far back to replay, e.g. 24h (at most "
                                                          "OBSERVER_RULE_DRY_RUN_MAX_RANGE_S)")


class DryRunRange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    range: str = Field("24h", description="how far back to replay, e.g. 24h")


def dry_run_out(rule: AlertRule, result: DryRunResult) -> dict[str, Any]:
    s = result.summary
    return {
        "rule": rule_view(rule), "start_ms": result.start_ms, "end_ms": result.end_ms,
        "would_have_fired": s.would_have_fired,
        "summary": {"series": s.series, "samples": s.samples, "transitions": s.transitions, "fired": s.fired,
                    "alerts_fired": s.alerts_fired, "firing_at_end": s.firing_at_end,
                    "first_fired_at_ms": s.first_fired_at_ms, "firing_ms": s.firing_ms},
        "transitions": [{"at_ms": t.at_ms, "from": t.from_state.value, "to": t.to_state.value,
                         "labels": t.labels.as_dict(), "fingerprint": t.fingerprint, "value": json_value(t.value)}
                        for t in result.transitions],
        "truncated": result.truncated, "elapsed_ms": round(result.elapsed_ms, 1),
    }


@router.post("/dry-run", summary="Would this rule definition have fired over the stored samples, and when?")
async def dry_run_definition(body: DryRunIn, request: Request, principal: Manager, svc: Svc) -> dict:
    """Replays the stored samples of the last ``range`` (default 24h) through the
    evaluator's own evaluation step: the transitions it would have made (pending,
    firing, resolved, with times and values) and a summary. Nothing is stored."""
    setattr(request.state, AUDITED, True)  # nothing changes: no audit entry
    rule = build_rule(principal.tenant, "dry-run", body)
    result = await _rules(svc).dry_run(rule, parse_duration_ms(body.range, field="range"))
    return {"data": dry_run_out(rule, result)}


@router.post("/{rule_id}/dry-run", summary="Would this stored rule have fired over the stored samples, and when?")
async def dry_run_rule(rule_id: str, request: Request, principal: Reader, svc: Svc,
                       body: DryRunRange | None = None) -> dict:
    setattr(request.state, AUDITED, True)  # nothing changes: no audit entry
    rule = await _rules(svc).get(principal.tenant, rule_id)
    result = await _rules(svc).dry_run(rule, parse_duration_ms((body or DryRunRange()).range, field="range"))
    return {"data": dry_run_out(rule, result)}


@router.get("/{rule_id}", summary="One alert rule (its version as ETag)")
async def get_rule(rule_id: str, principal: Reader, svc: Svc, response: Response) -> dict:
    return _one(response, await _rules(svc).get(principal.tenant, rule_id))


@router.post("", status_code=201, summary="Create an alert rule")
async def create_rule(body: RuleCreate, request: Request, principal: Manager, svc: Svc, response: Response) -> dict:
    if body.id in RESERVED_IDS:
        raise ValidationError(f"{body.id!r} names a route under /api/v1/rules; choose another id", field="id")
    rule = build_rule(principal.tenant, body.id or new_id("rule"), body)
    return _one(response, await _rules(svc).create(actor_of(request, principal), rule))


@router.put("/{rule_id}", summary="Replace an alert rule (name the version you read)")
async def replace_rule(rule_id: str, body: RuleReplace, request: Request, principal: Manager, svc: Svc,
                       response: Response, if_match: IfMatch = None) -> dict:
    version = expected_version(body.version, if_match)
    rule = build_rule(principal.tenant, rule_id, body)
    return _one(response, await _rules(svc).replace(actor_of(request, principal), rule, version))


@router.patch("/{rule_id}", summary="Change some fields of an alert rule (JSON merge patch; name the version you read)")
async def patch_rule(rule_id: str, request: Request, principal: Manager, svc: Svc, response: Response,
                     body: Annotated[dict[str, Any], Body(description="the fields to change; null removes an entry "
                                                                       "of labels or annotations")],
                     if_match: IfMatch = None) -> dict:
    raw_version = body.get("version")
    if raw_version is not None and (isinstance(raw_version, bool) or not isinstance(raw_version, int) or raw_version < 1):
        raise ValidationError("version must be an integer >= 1", field="version")
    version = expected_version(raw_version, if_match)
    current = await _rules(svc).get(principal.tenant, rule_id)
    merged = merge_patch(rule_definition(current), {k: v for k, v in body.items() if k != "version"})
    rule = build_rule(principal.tenant, rule_id, _parsed(RuleIn, merged))
    return _one(response, await _rules(svc).replace(actor_of(request, principal), rule, version))


async def _set_enabled(rule_id: str, enabled: bool, request: Request, principal: Principal, svc: ApiServices,
                       response: Response, body: VersionIn | None, version: int | None, if_match: str | None) -> dict:
    expected = expected_version(body.version if body and body.version is not None else version, if_match)
    rule = await _rules(svc).set_enabled(actor_of(request, principal), principal.tenant, rule_id, enabled, expected)
    return _one(response, rule)


VersionQuery = Annotated[int | None, Query(ge=1, description="the version you read (or send If-Match)")]


@router.post("/{rule_id}/enable", summary="Evaluate the rule again (name the version you read)")
async def enable_rule(rule_id: str, request: Request, principal: Manager, svc: Svc, response: Response,
                      body: VersionIn | None = None, version: VersionQuery = None, if_match: IfMatch = None) -> dict:
    return await _set_enabled(rule_id, True, request, principal, svc, response, body, version, if_match)


@router.post("/{rule_id}/disable", summary="Stop evaluating the rule; its alerts resolve (name the version you read)")
async def disable_rule(rule_id: str, request: Request, principal: Manager, svc: Svc, response: Response,
                       body: VersionIn | None = None, version: VersionQuery = None, if_match: IfMatch = None) -> dict:
    return await _set_enabled(rule_id, False, request, principal, svc, response, body, version, if_match)


@router.delete("/{rule_id}", status_code=204, summary="Delete an alert rule (name the version you read)")
async def delete_rule(rule_id: str, request: Request, principal: Manager, svc: Svc, version: VersionQuery = None,
                      if_match: IfMatch = None) -> Response:
    await _rules(svc).delete(actor_of(request, principal), principal.tenant, rule_id,
                             expected_version(version, if_match))
    return Response(status_code=204)
