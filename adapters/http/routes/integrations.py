"""Alert intake from other alerting systems: Alertmanager and Grafana webhooks.

- ``POST /api/v1/integrations/alertmanager``: Alertmanager's webhook receiver (payload
  version 4). Point a ``webhook_configs`` entry here with ``http_config.authorization.
  credentials`` set to an ``ingest``-scoped API key.
- ``POST /api/v1/integrations/grafana``: Grafana alerting's webhook contact point (the
  same shape plus ``orgId``, ``state``, ``title``, ``message`` and, per alert,
  ``values``, ``valueString`` and dashboard/panel/silence/image URLs).

Each alert becomes a state change in our pipeline (services/external_alerts.py). The
payload is validated whole: one bad alert rejects the request with 422 naming it, and
the sender (which retries only 5xx) will not loop on it.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError as PydanticValidationError

from adapters.http.body import read_body, require_media_type
from adapters.http.deps import ApiServices, require, services
from domain.errors import ValidationError
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from services.external_alerts import ExternalAlert

router = APIRouter(prefix="/api/v1/integrations", tags=["integrations"])


class AlertIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: str | None = None
    endsAt: str | None = None
    generatorURL: str = ""
    fingerprint: str = ""


class GrafanaAlertIn(AlertIn):
    values: dict[str, float | None] | None = None
    valueString: str = ""
    dashboardURL: str = ""
    panelURL: str = ""
    silenceURL: str = ""
    imageURL: str = ""


class AlertmanagerWebhook(BaseModel):
    """Alertmanager's webhook payload, version 4 (unknown fields are ignored)."""

    model_config = ConfigDict(extra="ignore")
    version: str = "4"
    groupKey: str = ""
    truncatedAlerts: int = 0
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    alerts: list[AlertIn] = Field(default_factory=list)


class GrafanaWebhook(AlertmanagerWebhook):
    orgId: int | None = None
    state: str = ""
    title: str = ""
    message: str = ""
    alerts: list[GrafanaAlertIn] = Field(default_factory=list)  # type: ignore[assignment]


class IntakeOut(BaseModel):
    status: Literal["accepted"] = "accepted"
    alerts: int
    transitions: int
    fingerprints: list[str]


def parse_rfc3339_ms(text: str | None, field: str) -> int | None:
    """RFC 3339 (nanoseconds allowed, truncated); Go's zero time means "not set"."""
    if not text or text.startswith("0001-01-01"):
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValidationError(f"{text!r} is not an RFC 3339 time", field=field) from None
    if value.tzinfo is None:
        raise ValidationError(f"{text!r} has no time zone", field=field)
    return int(value.timestamp() * 1000)


def _single_value(values: dict[str, float | None] | None) -> float:
    nums = [v for v in (values or {}).values() if v is not None]
    return float(nums[0]) if len(nums) == 1 else math.nan


def _convert(a: AlertIn, i: int) -> ExternalAlert:
    notes = dict(a.annotations)
    links = {"generator_url": a.generatorURL}
    value = math.nan
    if isinstance(a, GrafanaAlertIn):
        links |= {"dashboard_url": a.dashboardURL, "panel_url": a.panelURL, "silence_url": a.silenceURL,
                  "image_url": a.imageURL, "value_string": a.valueString}
        value = _single_value(a.values)
    notes.update({k: v for k, v in links.items() if v and k not in notes})
    return ExternalAlert(
        status=a.status, labels=a.labels, annotations=notes,
        starts_at_ms=parse_rfc3339_ms(a.startsAt, f"alerts[{i}].startsAt"),
        ends_at_ms=parse_rfc3339_ms(a.endsAt, f"alerts[{i}].endsAt"),
        value=value,
    )


async def _intake(request: Request, principal: Principal, svc: ApiServices, model: type[AlertmanagerWebhook], source: str) -> IntakeOut:
    if svc.external_alerts is None:
        raise HTTPException(503, "external alert intake is not configured")
    require_media_type(request, ("application/json",), allow_missing=True)
    body = await read_body(request, svc.max_body_bytes)
    try:
        doc: Any = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise RequestValidationError([{"loc": ("body",), "msg": f"body is not valid JSON: {exc}", "type": "json_invalid"}]) from None
    try:
        payload = model.model_validate(doc)
    except PydanticValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None
    alerts = [_convert(a, i) for i, a in enumerate(payload.alerts)]
    result = await svc.external_alerts.receive(principal.tenant, source, payload.receiver, alerts)
    return IntakeOut(alerts=result.alerts, transitions=result.transitions, fingerprints=list(result.fingerprints))


@router.post("/alertmanager", response_model=IntakeOut, summary="Alertmanager webhook (version 4) intake")
async def alertmanager(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.INGEST_TELEMETRY))],
    svc: Annotated[ApiServices, Depends(services)],
) -> IntakeOut:
    return await _intake(request, principal, svc, AlertmanagerWebhook, "alertmanager")


@router.post("/grafana", response_model=IntakeOut, summary="Grafana alerting webhook intake")
async def grafana(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.INGEST_TELEMETRY))],
    svc: Annotated[ApiServices, Depends(services)],
) -> IntakeOut:
    return await _intake(request, principal, svc, GrafanaWebhook, "grafana")
