"""OTLP/HTTP metrics: ``POST /v1/metrics`` (protobuf or JSON, optionally gzip/zstd).

The OpenTelemetry SDKs and the Collector's ``otlphttp`` exporter post here with an API
key in ``Authorization: Bearer``. A request is accepted whole or rejected whole
(DESIGN.md §7): success is 200 with an empty ``ExportMetricsServiceResponse`` in the
request's encoding (never a ``partial_success``); failures are problem+json with the
OTLP/HTTP status semantics: 400 (malformed), 413, 415 and 422 are final for the
exporter, 429 (with ``Retry-After``) is retried.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from adapters.http.body import decode_off_loop, read_decoded_body, require_media_type
from adapters.http.deps import ApiServices, require, services
from adapters.http.ingest_formats import otlp
from adapters.http.ingest_formats.otlp_mapping import to_series
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from domain.metrics.batch import SampleBatch

router = APIRouter(tags=["ingest"])


@router.post(
    "/v1/metrics",
    summary="OTLP/HTTP metrics export (protobuf or JSON)",
    description=(
        "Gauges, sums (cumulative or delta), histograms, exponential histograms and summaries. "
        "Resource and scope attributes become labels as documented in docs/ingest.md. "
        "`Content-Encoding: gzip` or `zstd` is accepted."
    ),
    responses={200: {"content": {otlp.PROTOBUF: {}, otlp.JSON: {}}, "description": "ExportMetricsServiceResponse"}},
)
async def export_metrics(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.INGEST_TELEMETRY))],
    svc: Annotated[ApiServices, Depends(services)],
) -> Response:
    ctype = require_media_type(request, (otlp.PROTOBUF, otlp.JSON))
    body = await read_decoded_body(request, svc.max_body_bytes, svc.max_decompressed_bytes)
    batch = await decode_off_loop(len(body), _decode, body, ctype, svc, principal.tenant)
    await svc.ingest.publish(batch)
    return Response(otlp.response_body(ctype), status_code=200, media_type=ctype)


def _decode(body: bytes, ctype: str, svc: ApiServices, tenant: str) -> SampleBatch:
    """Decode, map and validate: CPU work, run off the event loop for large bodies."""
    message = otlp.parse_protobuf(body) if ctype == otlp.PROTOBUF else otlp.parse_json(body)
    return svc.ingest.validate(tenant, to_series(message, svc.otlp))
