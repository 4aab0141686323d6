"""OTLP/HTTP metrics bodies (protobuf or JSON) as ``ExportMetricsServiceRequest`` messages.

Protobuf goes through the official generated classes (``opentelemetry-proto``), whose
parser is C (upb) and validates UTF-8 and nesting depth. JSON follows the OTLP/HTTP
JSON encoding, which is the protobuf JSON mapping with a few differences that
``json_format`` alone does not accept, so they are handled here:

- ``traceId`` and ``spanId`` (in exemplars) are *hex* strings, not base64;
- 64-bit integers may arrive as JSON strings or numbers (both accepted by json_format);
- enums are integers; keys are lowerCamelCase (snake_case is accepted too);
- unknown fields must be ignored (forward compatibility).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)

from adapters.http.ingest_formats.errors import MalformedPayload

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_POINTS_OF = ("gauge", "sum", "histogram", "exponentialHistogram", "exponential_histogram")
_ID_LENGTHS = {"traceId": 16, "trace_id": 16, "spanId": 8, "span_id": 8}


def parse_protobuf(data: bytes) -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    try:
        request.ParseFromString(data)
    except (DecodeError, RecursionError) as exc:
        raise MalformedPayload("protobuf", f"not an ExportMetricsServiceRequest: {exc}", field="body") from None
    return request


def parse_json(data: bytes) -> ExportMetricsServiceRequest:
    try:
        # Decoded strictly here: json.loads(bytes) lets CESU-8 lone surrogates through
        # ('surrogatepass'), and protobuf's C field lookup fails on them with a SystemError.
        doc = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise MalformedPayload("json", f"body is not valid JSON: {exc}", field="body") from None
    if not isinstance(doc, dict):
        raise MalformedPayload("json", "body must be a JSON object (an ExportMetricsServiceRequest)", field="body")
    _hex_ids_to_base64(doc)
    request = ExportMetricsServiceRequest()
    try:
        json_format.ParseDict(doc, request, ignore_unknown_fields=True, max_recursion_depth=64)
    except (json_format.ParseError, RecursionError, ValueError, TypeError) as exc:
        raise MalformedPayload("json", f"not an ExportMetricsServiceRequest: {exc}", field="body") from None
    return request


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _get(obj: Any, *keys: str) -> Any:
    if not isinstance(obj, dict):
        return None
    for k in keys:
        if k in obj:
            return obj[k]
    return None


def _hex_ids_to_base64(doc: dict) -> None:
    """Rewrite exemplar trace/span ids from OTLP's hex to the base64 json_format expects.

    Only the places the OTLP schema puts ids are visited; anything of the wrong shape is
    left alone for json_format to reject with its own message.
    """
    for r, rm in enumerate(_list(_get(doc, "resourceMetrics", "resource_metrics"))):
        for s, sm in enumerate(_list(_get(rm, "scopeMetrics", "scope_metrics"))):
            for m, metric in enumerate(_list(_get(sm, "metrics"))):
                for kind in _POINTS_OF:
                    data = _get(metric, kind)
                    for p, point in enumerate(_list(_get(data, "dataPoints", "data_points"))):
                        for e, ex in enumerate(_list(_get(point, "exemplars"))):
                            if not isinstance(ex, dict):
                                continue
                            where = f"resourceMetrics[{r}].scopeMetrics[{s}].metrics[{m}].{kind}.dataPoints[{p}].exemplars[{e}]"
                            for key, size in _ID_LENGTHS.items():
                                if isinstance(ex.get(key), str):
                                    ex[key] = _hex_to_base64(ex[key], size, f"{where}.{key}")


def _hex_to_base64(text: str, size: int, where: str) -> str:
    if text == "":
        return ""
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != size:
        raise MalformedPayload("json", f"{where} must be {2 * size} hex digits, got {text[:64]!r}", field=where)
    return base64.b64encode(raw).decode()


def response_body(content_type: str) -> bytes:
    """An empty ExportMetricsServiceResponse (no partial_success: batches are whole)."""
    if content_type == JSON:
        return b"{}"
    return ExportMetricsServiceResponse().SerializeToString()
