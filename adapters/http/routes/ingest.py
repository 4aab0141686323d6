"""Native JSON ingest: ``POST /api/v1/ingest``."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError as PydanticValidationError
from fastapi.exceptions import RequestValidationError

from adapters.http.deps import ApiServices, require, services
from domain.errors import LimitExceeded
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from services.ingest import RawSeries

router = APIRouter(prefix="/api/v1", tags=["ingest"])

SampleValue = float | int | str


class SeriesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="Metric name, [a-zA-Z_:][a-zA-Z0-9_:]*")
    labels: dict[str, str] = Field(default_factory=dict)
    kind: Literal["gauge", "counter", "histogram"] = "gauge"
    unit: str = ""
    samples: list[tuple[int, SampleValue]] = Field(
        description='[timestamp_ms, value] pairs; value a number or "NaN", "+Inf", "-Inf"', min_length=1
    )


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    series: list[SeriesIn] = Field(min_length=1)


class IngestOut(BaseModel):
    status: Literal["accepted"] = "accepted"
    series: int
    samples: int


async def read_body(request: Request, limit: int) -> bytes:
    """Read at most ``limit`` bytes; a longer body is refused before it is buffered."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise LimitExceeded(f"request body is {declared} bytes, over the limit of {limit}", field="body", limit="max_body_bytes", value=limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise LimitExceeded(f"request body is over the limit of {limit} bytes", field="body", limit="max_body_bytes", value=limit)
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/ingest",
    status_code=202,
    response_model=IngestOut,
    summary="Ingest a batch of series (accepted whole or rejected whole)",
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": BatchIn.model_json_schema(ref_template="#/components/schemas/{model}")}}, "required": True}},
)
async def ingest(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.INGEST_TELEMETRY))],
    svc: Annotated[ApiServices, Depends(services)],
) -> IngestOut:
    body = await read_body(request, svc.max_body_bytes)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("application/json", ""):
        from fastapi import HTTPException

        raise HTTPException(415, f"unsupported content type {ctype!r}; send application/json")
    try:
        doc: Any = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RequestValidationError([{"loc": ("body",), "msg": f"body is not valid JSON: {exc}", "type": "json_invalid"}]) from None
    try:
        batch = BatchIn.model_validate(doc)
    except PydanticValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None
    raw = [RawSeries(s.name, s.labels, s.samples, s.kind, s.unit) for s in batch.series]
    result = await svc.ingest.ingest(principal.tenant, raw)
    return IngestOut(series=result.series, samples=result.samples)
