"""The audit log of the caller's tenant: filtered, paged (newest first, ``before`` the
last id of the previous page), or exported whole as JSON lines."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from adapters.http.deps import ApiServices, require, services
from adapters.http.params import parse_time_ms
from domain.identity.audit import AuditQuery
from domain.identity.permissions import Permission
from domain.identity.principal import Principal

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
Svc = Annotated[ApiServices, Depends(services)]
Auditor = Annotated[Principal, Depends(require(Permission.READ_AUDIT))]
JSON_LINES = "application/jsonl"


def _query(tenant: str, actor: str | None, action: str | None, target: str | None, since: str | None,
           until: str | None, before: str | None, limit: int) -> AuditQuery:
    return AuditQuery(
        tenant, actor=actor, action=action, target=target,
        since_ms=parse_time_ms(since, field="since") if since else None,
        until_ms=parse_time_ms(until, field="until") if until else None, before=before, limit=limit)


def _export(svc: ApiServices, query: AuditQuery) -> StreamingResponse:
    return StreamingResponse(svc.identity.audit.export(query), media_type=JSON_LINES,
                             headers={"Content-Disposition": 'attachment; filename="audit.jsonl"'})


@router.get("", summary="Audit entries, newest first (?format=jsonl: every match as JSON lines)")
async def audit_entries(
    principal: Auditor, svc: Svc,
    actor: str | None = None, action: Annotated[str | None, Query(description="exact, or a prefix: user.*")] = None,
    target: str | None = None, since: Annotated[str | None, Query(description="Unix seconds or RFC 3339")] = None,
    until: str | None = None, before: Annotated[str | None, Query(description="the last id of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100, format: Literal["json", "jsonl"] = "json",
):
    query = _query(principal.tenant, actor, action, target, since, until, before, limit)
    if format == "jsonl":
        return _export(svc, query)
    entries = await svc.identity.audit.query(query)
    more = len(entries) == limit
    return {"data": [e.as_dict() for e in entries], "next_before": entries[-1].id if more else None}


@router.get("/export", summary="Every matching audit entry as JSON lines (newest first)")
async def audit_export(
    principal: Auditor, svc: Svc, actor: str | None = None, action: str | None = None, target: str | None = None,
    since: str | None = None, until: str | None = None,
) -> StreamingResponse:
    return _export(svc, _query(principal.tenant, actor, action, target, since, until, None, 500))
