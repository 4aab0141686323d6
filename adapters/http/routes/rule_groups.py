"""PromQL rule groups: ``/api/v1/rule-groups`` (admins change them, viewers read them).

A group is Prometheus' rule file format, one entry of ``groups:``, as JSON: ``name``,
``interval``, ``limit`` and ``rules`` of ``alert``/``record``, ``expr``, ``for``,
``keep_firing_for``, ``labels``, ``annotations``. ``POST .../import`` takes a whole rule
file as YAML (all of its groups or none); ``?format=yaml`` answers one.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from adapters.http.body import read_body
from adapters.http.deps import ApiServices, require, services
from domain.alerts.rule_groups import RuleGroup
from domain.errors import BatchRejected, ValidationError
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from services.promrules.groups import RuleGroupService

router = APIRouter(prefix="/api/v1/rule-groups", tags=["rule groups"])
Reader = Annotated[Principal, Depends(require(Permission.READ_ALERTS))]
Admin = Annotated[Principal, Depends(require(Permission.MANAGE_RULES))]
Services = Annotated[ApiServices, Depends(services)]
YAML = "application/yaml"
GroupBody = Annotated[dict[str, Any], Body(description="a rule group in Prometheus' rule file format", examples=[{
    "name": "api", "interval": "30s", "rules": [
        {"record": "job:http_requests:rate5m", "expr": "sum by (job) (rate(http_requests_total[5m]))"},
        {"alert": "HighErrorRate", "expr": 'job:http_requests:rate5m{code=~"5.."} > 10', "for": "10m",
         "labels": {"severity": "page"}, "annotations": {"summary": "{{ $labels.job }}: {{ $value | humanize }}/s"}},
    ]}])]


def rule_groups(svc: ApiServices) -> RuleGroupService:
    if svc.rule_groups is None:
        raise ValidationError("PromQL rule groups are not configured in this process", field="rule_groups")
    return svc.rule_groups


def group_out(group: RuleGroup) -> dict:
    return {**group.document(), "source": group.source}


def _single(exc: ValidationError) -> ValidationError:
    """Errors of a single group's body name its fields from the group (``rules[1].expr``)."""
    def relocate(e: ValidationError) -> ValidationError:
        field = (e.field or "").removeprefix("groups[0].").removeprefix("groups[0]")
        return type(e)(e.message, field=field or None) if not isinstance(e, BatchRejected) else e

    if isinstance(exc, BatchRejected):
        return BatchRejected([relocate(e) for e in exc.errors])
    return relocate(exc)


def _parse(tenant: str, body: dict[str, Any], name: str | None = None) -> RuleGroup:
    try:
        return RuleGroupService.parse(tenant, body, name=name)
    except ValidationError as exc:
        raise _single(exc) from None


@router.get("", summary="Rule groups (JSON, or a Prometheus rule file with format=yaml)", response_model=None)
async def list_groups(principal: Reader, svc: Services,
                      format: Annotated[Literal["json", "yaml"], Query()] = "json") -> Response | dict:
    service = rule_groups(svc)
    if format == "yaml":
        return Response(await service.export(principal.tenant), media_type=YAML)
    return {"data": [group_out(g) for g in await service.list(principal.tenant)]}


@router.post("", status_code=201, summary="Create a rule group")
async def create_group(body: GroupBody, principal: Admin, svc: Services) -> dict:
    group = await rule_groups(svc).create(_parse(principal.tenant, body))
    return {"data": group_out(group)}


@router.post("/import", status_code=201, summary="Import a Prometheus rule file (YAML): all of its groups, or none")
async def import_file(request: Request, principal: Admin, svc: Services,
                      source: Annotated[str, Query(max_length=512, description="the file's name, kept with its groups")] = ""
                      ) -> dict:
    raw = await read_body(request, svc.max_body_bytes)
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise ValidationError("the rule file is not UTF-8 text", field="body") from None
    groups = await rule_groups(svc).import_file(principal.tenant, text, source)
    return {"data": [group_out(g) for g in groups]}


@router.get("/{name}", summary="One rule group", response_model=None)
async def get_group(name: str, principal: Reader, svc: Services,
                    format: Annotated[Literal["json", "yaml"], Query()] = "json") -> Response | dict:
    service = rule_groups(svc)
    group = await service.get(principal.tenant, name)
    if format == "yaml":
        return Response(await service.export(principal.tenant, [group.name]), media_type=YAML)
    return {"data": group_out(group)}


@router.put("/{name}", summary="Create or replace a rule group")
async def put_group(name: str, body: GroupBody, principal: Admin, svc: Services) -> dict:
    group = await rule_groups(svc).replace(_parse(principal.tenant, body, name))
    return {"data": group_out(group)}


@router.delete("/{name}", status_code=204, summary="Delete a rule group (its alerts resolve)")
async def delete_group(name: str, principal: Admin, svc: Services) -> Response:
    await rule_groups(svc).remove(principal.tenant, name)
    return Response(status_code=204)
