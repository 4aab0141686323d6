"""What every route of the Prometheus-compatible API shares: reading parameters the
way Prometheus does (query string and ``application/x-www-form-urlencoded`` bodies,
RFC 3339 or float-second times, Go durations), its response envelope and its errors.

Errors are Prometheus' ``{"status": "error", "errorType": ..., "error": ...}`` with
its status codes (``web/api/v1/api.go``: ``bad_data`` 400, ``execution`` 422,
``canceled`` 499, ``timeout`` and ``unavailable`` 503, ``internal`` 500,
``not_found`` 404), not problem+json: Grafana and every Prometheus client read
``error``. Where we know which parameter was wrong, or which limit was hit, the body
also names it (``field``, ``limit``): extra keys no client minds.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from adapters.http.body import media_type, read_body
from domain.errors import LimitExceeded, QueryCanceled, QueryTimeout, ValidationError
from domain.metrics.durations import parse_duration_ms as go_duration_ms
from domain.promql.errors import PromQLError
from domain.promql.gofloat import parse_float
from services.promql import prometheus_error_type

PREFIX = "/prometheus/api/v1"
FORM = "application/x-www-form-urlencoded"
STATUS = {"bad_data": 400, "execution": 422, "canceled": 499, "timeout": 503, "unavailable": 503,
          "internal": 500, "not_found": 404}
# Prometheus' open time bounds, as its Go client writes them when a caller gives none.
MIN_TIME_TEXT = "-292273086-05-16T16:47:06Z"
MAX_TIME_TEXT = "292277025-08-18T07:12:54.999999999Z"
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})\Z"
)
MAX_INT64 = 2**63 - 1


class PromApiError(Exception):
    """An error in Prometheus' shape; ``field``/``limit`` name the cause when known."""

    def __init__(self, error_type: str, message: str, *, field: str | None = None, limit: str | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.field = field
        self.limit = limit

    def response(self) -> JSONResponse:
        body = {"status": "error", "errorType": self.error_type, "error": self.message}
        if self.field:
            body["field"] = self.field
        if self.limit:
            body["limit"] = self.limit
        return JSONResponse(body, status_code=STATUS.get(self.error_type, 500))


def invalid_parameter(name: str, message: str) -> PromApiError:
    """Prometheus' ``invalidParamError``: bad_data naming the parameter."""
    return PromApiError("bad_data", f"invalid parameter {json.dumps(name)}: {message}", field=name)


def translate(exc: Exception, *, parameter: str | None = None) -> PromApiError:
    """A domain or engine error as Prometheus reports it (the engine's
    ``prometheus_error_type``; other invalid input is ``bad_data``). ``parameter``: the
    parameter a bad_data error is about (Prometheus prefixes ``invalid parameter "query": ``)."""
    if isinstance(exc, PromApiError):
        return exc
    kind = prometheus_error_type(exc)
    if kind is None:
        if not isinstance(exc, ValidationError):
            raise exc
        kind = "bad_data"
    message = getattr(exc, "message", None) or str(exc)
    if kind == "bad_data" and parameter:
        return invalid_parameter(parameter, message)
    limit = exc.limit if isinstance(exc, LimitExceeded) else None
    return PromApiError(kind, message, field=getattr(exc, "field", None) or parameter, limit=limit)


@dataclass(frozen=True)
class Form:
    """Go's ``r.Form``: body values (POST form) first, then the query string's."""

    pairs: tuple[tuple[str, str], ...]

    def get(self, name: str) -> str:
        """``r.FormValue``: the first value, "" if absent."""
        for key, value in self.pairs:
            if key == name:
                return value
        return ""

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key == name]


async def read_form(request: Request, max_body_bytes: int) -> Form:
    """The request's parameters: a POST's form body (other bodies carry none, as in
    Prometheus), then the query string."""
    pairs: list[tuple[str, str]] = []
    if request.method == "POST":
        try:
            body = await read_body(request, max_body_bytes)
        except LimitExceeded as exc:
            raise PromApiError("bad_data", exc.message, field="body", limit=exc.limit) from None
        if media_type(request)[0] == FORM and body:
            try:
                pairs += parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=False)
            except UnicodeDecodeError:
                raise PromApiError("bad_data", "error parsing form values: the body is not UTF-8") from None
    pairs += request.query_params.multi_items()
    return Form(tuple(pairs))


def _go_round(x: float) -> float:
    """Go's ``math.Round``: halves away from zero (Python's ``round`` goes to even)."""
    return math.copysign(math.floor(abs(x) + 0.5), x)


def parse_time(text: str) -> int | None:
    """Prometheus' ``parseTime`` in milliseconds: float seconds (rounded to the
    millisecond) or RFC 3339; None for its open bounds. Raises ValueError."""
    seconds = parse_float(text)
    if seconds is not None:
        if not math.isfinite(seconds) or abs(seconds) > 9.2e15:
            raise ValueError(f"cannot parse {json.dumps(text)} to a valid timestamp")
        whole = math.trunc(seconds)
        return whole * 1000 + int(_go_round((seconds - whole) * 1000))
    if text in (MIN_TIME_TEXT, MAX_TIME_TEXT):
        return None
    m = _RFC3339.match(text)
    if m:
        year, month, day, hour, minute, second, frac, zone = m.groups()
        try:
            tz = timezone.utc
            if zone != "Z":
                sign = 1 if zone[0] == "+" else -1
                hours, minutes = int(zone[1:3]), int(zone[4:6])
                if hours > 23 or minutes > 59:
                    raise ValueError
                tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
            at = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=tz)
        except ValueError:
            pass
        else:
            millis = int((frac or "0").ljust(9, "0")[:3])
            return int(at.timestamp()) * 1000 + millis
    raise ValueError(f"cannot parse {json.dumps(text)} to a valid timestamp")


def time_param(form: Form, name: str, default: int | None) -> int | None:
    """An optional time parameter (``parseTimeParam``): ``default`` when absent."""
    text = form.get(name)
    if text == "":
        return default
    try:
        return parse_time(text)
    except ValueError as exc:
        raise invalid_parameter(name, f"Invalid time value for '{name}': {exc}") from None


def required_time(form: Form, name: str) -> int:
    try:
        at = parse_time(form.get(name))
    except ValueError as exc:
        raise invalid_parameter(name, str(exc)) from None
    if at is None:
        raise invalid_parameter(name, f"{name} must be a finite time")
    return at


def parse_duration_ms(text: str) -> int:
    """Prometheus' API ``parseDuration`` in milliseconds: float seconds or a Go-style
    duration (``1h30m``, ``15s``, ``500ms``: whole numbers, units in order). ValueError."""
    seconds = parse_float(text)
    if seconds is not None:
        nanos = seconds * 1e9
        if not math.isfinite(nanos) or abs(nanos) > MAX_INT64:
            raise ValueError(f"cannot parse {json.dumps(text)} to a valid duration. It overflows int64")
        return int(math.trunc(nanos) / 1_000_000)
    try:
        return go_duration_ms(text)
    except ValueError:
        raise ValueError(f"cannot parse {json.dumps(text)} to a valid duration") from None


def duration_param(form: Form, name: str) -> int:
    try:
        return parse_duration_ms(form.get(name))
    except ValueError as exc:
        raise invalid_parameter(name, str(exc)) from None


def limit_param(form: Form, name: str = "limit") -> int:
    """A ``limit`` parameter: 0 (or absent) means none."""
    text = form.get(name)
    if text == "":
        return 0
    try:
        value = int(text)
    except ValueError:
        raise PromApiError("bad_data", f"{name} must be a number", field=name) from None
    if value < 0:
        raise PromApiError("bad_data", f"{name} must be non-negative", field=name)
    return value


def success(data: object | None = None, *, raw: bytes | None = None, warnings: list[str] | None = None) -> Response:
    """``{"status": "success", "data": ...}``; ``raw`` is ``data`` already as JSON."""
    body = b'{"status":"success","data":' + (raw if raw is not None else json.dumps(data, separators=(",", ":")).encode())
    if warnings:
        body += b',"warnings":' + json.dumps(warnings).encode()
    return Response(body + b"}", media_type="application/json")


Handler = Callable[..., Awaitable[Response]]


def get_and_post(router: APIRouter, path: str, summary: str) -> Callable[[Handler], Handler]:
    """Register a route for GET and for POST (a form body), as Prometheus serves it,
    with one OpenAPI operation per method."""

    def register(handler: Handler) -> Handler:
        name = handler.__name__
        router.add_api_route(path, handler, methods=["GET"], summary=summary, operation_id=f"prometheus_{name}_get")
        router.add_api_route(path, handler, methods=["POST"], summary=f"{summary} (form body)",
                             operation_id=f"prometheus_{name}_post")
        return handler

    return register


def prometheus_errors(handler: Handler) -> Handler:
    """Run a route, answering every error it raises in Prometheus' shape."""

    @functools.wraps(handler)
    async def wrapped(*args, **kwargs) -> Response:
        try:
            return await handler(*args, **kwargs)
        except PromApiError as exc:
            return exc.response()
        except (ValidationError, PromQLError, QueryTimeout, QueryCanceled) as exc:
            return translate(exc).response()

    return wrapped
