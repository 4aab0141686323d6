"""Compliance: the control catalogue with each control's latest status, the posture per
framework, every evaluation with its evidence, running an evaluation now, and the facts
integrators push about their deployment (services/compliance.py says which facts the
platform derives itself and which must be pushed).

Reading needs ``compliance:read`` (viewers: auditors read the posture); evaluating and
pushing facts need ``compliance:manage`` (admins), since a pushed fact changes the
posture.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Annotated, Any

import pydantic
from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from adapters.http.body import read_body, require_media_type
from adapters.http.deps import ApiServices, require, services
from domain.compliance.checks import Evidence, required_facts, required_metrics
from domain.compliance.controls import Control, Framework
from domain.compliance.evaluation import Evaluation
from domain.errors import NotFound, ValidationError
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from services.compliance import ComplianceService, posture_out

router = APIRouter(prefix="/api/v1/compliance", tags=["compliance"])

# A facts document is configuration, not bulk data: well under the general body limit.
MAX_FACTS_BODY_BYTES = 1024 * 1024


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def json_safe(value: object) -> object:
    """Evidence as JSON: non-finite numbers as Prometheus spells them ("NaN", "+Inf"),
    since JSON has none (a metric aggregate may be NaN or infinite)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def evidence_out(e: Evidence) -> dict[str, Any]:
    return {
        "kind": e.kind, "key": e.key, "operator": e.operator, "observed": json_safe(e.observed),
        "expected": json_safe(e.expected), "passed": e.passed, "error": e.error, "at": _iso(e.at_ms),
    }


def evaluation_out(ev: Evaluation) -> dict[str, Any]:
    return {
        "control_id": ev.control_id, "status": ev.status.value, "evaluated_at": _iso(ev.evaluated_at_ms),
        "evaluated_at_ms": ev.evaluated_at_ms, "error": ev.error, "evidence": [evidence_out(e) for e in ev.evidence],
    }


def control_out(c: Control, latest: Evaluation | None) -> dict[str, Any]:
    checks = [c.check] + ([c.applies_when] if c.applies_when is not None else [])
    return {
        "id": c.id, "title": c.title, "description": c.description, "severity": c.severity.value,
        "weight": c.severity.weight,
        "frameworks": [{"framework": r.framework.value, "title": r.framework.title, "reference": r.reference}
                       for r in c.refs],
        "check": str(c.check), "applies_when": None if c.applies_when is None else str(c.applies_when),
        "required_facts": sorted(set().union(*(required_facts(ch) for ch in checks))),
        "required_metrics": sorted({m.key for ch in checks for m in required_metrics(ch)}),
        "status": None if latest is None else latest.status.value,
        "evaluated_at": None if latest is None else _iso(latest.evaluated_at_ms),
        "error": None if latest is None else latest.error,
    }


def _compliance(svc: ApiServices) -> ComplianceService:
    if svc.compliance is None:
        raise NotFound("compliance is not configured in this process")
    return svc.compliance


@router.get("/controls", summary="The control catalogue, with framework clauses and each control's latest status")
async def list_controls(
    principal: Annotated[Principal, Depends(require(Permission.READ_COMPLIANCE))],
    svc: Annotated[ApiServices, Depends(services)],
    framework: Annotated[Framework | None, Query(description="only controls referencing this framework")] = None,
) -> dict:
    rows = await _compliance(svc).catalogue(principal.tenant)
    return {"data": [control_out(c, ev) for c, ev in rows if framework is None or framework in c.frameworks]}


@router.get("/posture", summary="Score per framework from the latest evaluation of each control")
async def get_posture(
    principal: Annotated[Principal, Depends(require(Permission.READ_COMPLIANCE))],
    svc: Annotated[ApiServices, Depends(services)],
) -> dict:
    """``score`` is 0-100, severity-weighted over the applicable controls (FAIL, ERROR and
    never-evaluated count against it); ``null`` when no control of the framework applies."""
    scores = await _compliance(svc).posture(principal.tenant)
    return {"data": [posture_out(p) for p in scores.values()]}


@router.get("/controls/{control_id}/evaluations", summary="A control's evaluations with their evidence, newest first")
async def control_evaluations(
    control_id: str,
    principal: Annotated[Principal, Depends(require(Permission.READ_COMPLIANCE))],
    svc: Annotated[ApiServices, Depends(services)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict:
    found = await _compliance(svc).history(principal.tenant, control_id, limit)
    return {"data": {"control_id": control_id, "evaluations": [evaluation_out(ev) for ev in found]}}


@router.post("/evaluate", summary="Evaluate every control now; the summary of the run")
async def evaluate_now(
    principal: Annotated[Principal, Depends(require(Permission.MANAGE_COMPLIANCE))],
    svc: Annotated[ApiServices, Depends(services)],
) -> dict:
    return {"data": await _compliance(svc).evaluate_now(principal.tenant)}


class FactsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str = Field(description="who reports these facts (a collector, a pipeline, a person)",
                        examples=["terraform/prod"])
    facts: dict[str, Any] = Field(description="dotted keys to JSON values, merged into the tenant's facts",
                                  examples=[{"ingest.tls.enabled": True, "ingest.tls.min_version": "1.3"}])


@router.put(
    "/facts", summary="Merge facts about the deployment (dotted keys to JSON values)",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": FactsIn.model_json_schema()}}}},
)
async def put_facts(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.MANAGE_COMPLIANCE))],
    svc: Annotated[ApiServices, Depends(services)],
) -> dict:
    """All or nothing: one bad key or value rejects the push with problem+json naming
    it (``facts["ingest.tls.enabled"]``). Keys not given keep their values. The next
    evaluation uses the facts; ``POST /evaluate`` to see their effect now."""
    service = _compliance(svc)
    require_media_type(request, ("application/json",), allow_missing=True)
    raw = await read_body(request, min(svc.max_body_bytes, MAX_FACTS_BODY_BYTES))
    try:
        doc = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise ValidationError(f"the body is not JSON: {exc}", field="body") from None
    except RecursionError:
        raise ValidationError("the body is not JSON: it is nested too deep", field="body") from None
    try:
        body = FactsIn.model_validate(doc)
    except pydantic.ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_context=False, include_input=False)) from None
    stored = await service.push_facts(principal.tenant, body.facts, body.source, actor=principal.subject)
    return {"data": {"stored": stored, "updated_at": _iso(svc.clock.now_ms())}}


@router.get("/facts", summary="The facts evaluations use: derived by the platform, and pushed (with who and when)")
async def get_facts(
    principal: Annotated[Principal, Depends(require(Permission.READ_COMPLIANCE))],
    svc: Annotated[ApiServices, Depends(services)],
) -> dict:
    derived, pushed = await _compliance(svc).facts(principal.tenant)
    return {"data": {
        "derived": {k: json_safe(v) for k, v in sorted(derived.items())},
        "pushed": [{"key": r.key, "value": json_safe(r.value), "source": r.source, "updated_at": _iso(r.updated_at_ms)}
                   for r in pushed.values()],
    }}
