"""Native JSON ingest: ``POST /api/v1/ingest`` (plain, or gzip/zstd by ``Content-Encoding``).

The body is parsed and validated off the event loop when it is large, and the
request-size limits (samples, series per request) are checked on counts before any
point is validated: an oversized batch is refused (413) without the work it would cost.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError as PydanticValidationError
from fastapi.exceptions import RequestValidationError

from adapters.http.body import decode_off_loop, read_body, read_decoded_body  # noqa: F401  (read_body: kept importable here)
from adapters.http.deps import ApiServices, require, services
from adapters.http.ingest_formats.errors import UnsupportedMedia
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from domain.metrics.batch import SampleBatch
from services.ingest import IngestService, RawSeries

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


@router.post(
    "/ingest",
    status_code=202,
    response_model=IngestOut,
    summary="Ingest a batch of series (accepted whole or rejected whole)",
    description="The body may be compressed: `Content-Encoding: gzip` or `zstd`.",
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": BatchIn.model_json_schema(ref_template="#/components/schemas/{model}")}}, "required": True}},
)
async def ingest(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.INGEST_TELEMETRY))],
    svc: Annotated[ApiServices, Depends(services)],
) -> IngestOut:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("application/json", ""):
        raise UnsupportedMedia(f"unsupported content type {ctype!r}; send application/json", ("application/json",))
    body = await read_decoded_body(request, svc.max_body_bytes, svc.max_decompressed_bytes)
    # Parsing and validating are CPU work: off the event loop for large bodies, so one
    # big batch does not stall every other connection of this worker.
    batch = await decode_off_loop(len(body), _parse_and_validate, body, svc.ingest, principal.tenant)
    await svc.ingest.publish(batch)
    return IngestOut(series=len(batch.series), samples=batch.sample_count)


def _parse_and_validate(body: bytes, ingest: IngestService, tenant: str) -> SampleBatch:
    try:
        doc: Any = json.loads(body)
    except (ValueError, RecursionError) as exc:  # bad JSON, bad UTF-8, or nested too deep
        raise RequestValidationError([{"loc": ("body",), "msg": f"body is not valid JSON: {exc}", "type": "json_invalid"}]) from None
    # The request-size limits first, on counts: validating 10 million points of a batch
    # that is refused anyway would waste the time the limits are there to save.
    series = doc.get("series") if isinstance(doc, dict) else None
    if isinstance(series, list):
        samples = sum(len(s["samples"]) for s in series if isinstance(s, dict) and isinstance(s.get("samples"), list))
        ingest.check_size(samples, len(series))
    try:
        parsed = BatchIn.model_validate(doc)
    except PydanticValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None
    return ingest.validate(tenant, [RawSeries(s.name, s.labels, s.samples, s.kind, s.unit) for s in parsed.series])
