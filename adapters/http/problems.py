"""RFC 9457 problem details for every error a client can cause.

Each problem names what was wrong: ``field`` (a dotted path into the request, e.g.
``series[3].samples[0][0]``), ``limit`` when a configured limit was hit, and ``errors``
listing every problem of a rejected batch.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import (
    AuthenticationFailed,
    BatchRejected,
    Conflict,
    InvalidTransition,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    PreconditionRequired,
    ValidationError,
)
from adapters.http.ingest_formats.errors import MalformedPayload, UnsupportedMedia
from ports.workflows import WorkflowUnavailable
from services.identity import LoginLocked, MfaRequired
from services.ingest import Backpressure

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)

# Limits on the size of a request are 413; limits on its content are 422.
SIZE_LIMITS = {"max_body_bytes", "max_decompressed_bytes", "max_samples_per_batch", "max_series_per_batch"}
# A route may set ``request.state.problem_headers``: every error response to that request
# carries them (remote write 2.0 requires its "*-Written" headers on failures too).
PROBLEM_HEADERS = "problem_headers"
FASTAPI_UNPARSABLE_BODY = "There was an error parsing the body"  # FastAPI's 400 when its JSON parsing raised


def problem(status: int, title: str, detail: str, type_: str = "about:blank", **extra: Any) -> JSONResponse:
    body = {"type": type_, "title": title, "status": status, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {}
    if "retry_after" in extra:
        headers["Retry-After"] = str(max(1, round(extra["retry_after"] + 0.499)))
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _loc_to_field(loc: tuple[Any, ...]) -> str:
    parts = [p for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _with_request_headers(handler: Any) -> Any:
    """Wrap a handler so the headers a route attached to the request reach the response."""

    @functools.wraps(handler)
    async def wrapped(request: Request, exc: Exception) -> JSONResponse:
        resp = await handler(request, exc)
        for name, value in getattr(request.state, PROBLEM_HEADERS, {}).items():
            resp.headers.setdefault(name, value)
        return resp

    return wrapped


def install_problem_handlers(app: FastAPI) -> None:
    before = dict(app.exception_handlers)
    _install(app)
    # Every handler registered here (not FastAPI's WebSocket one) gets the per-request headers.
    for exc_type, handler in list(app.exception_handlers.items()):
        if before.get(exc_type) is not handler:
            app.exception_handlers[exc_type] = _with_request_headers(handler)


def _install(app: FastAPI) -> None:
    @app.exception_handler(MalformedPayload)
    async def _malformed(_: Request, exc: MalformedPayload) -> JSONResponse:
        return problem(400, f"Malformed {exc.format}", str(exc), field=exc.field, format=exc.format,
                       errors=[{"field": exc.field, "message": str(exc)}])

    @app.exception_handler(UnsupportedMedia)
    async def _media(_: Request, exc: UnsupportedMedia) -> JSONResponse:
        resp = problem(415, "Unsupported media type", exc.message, field=exc.header, accept=list(exc.accept) or None)
        if exc.accept and exc.header == "Content-Type":
            resp.headers["Accept-Post"] = ", ".join(exc.accept)
        elif exc.accept:
            resp.headers["Accept-Encoding"] = ", ".join(a for a in exc.accept if a != "x-gzip")
        return resp

    @app.exception_handler(RequestValidationError)
    async def _request_validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _loc_to_field(tuple(e.get("loc", ()))), "message": e.get("msg", "")} for e in exc.errors()]
        first = errors[0] if errors else {"field": None, "message": "invalid request"}
        return problem(422, "Invalid request", f"{first['field']}: {first['message']}", field=first["field"], errors=errors)

    @app.exception_handler(BatchRejected)
    async def _batch(_: Request, exc: BatchRejected) -> JSONResponse:
        errors = [{"field": e.field, "message": e.message} for e in exc.errors]
        return problem(422, "Batch rejected", f"nothing was stored: {exc.message}", field=exc.field, errors=errors)

    @app.exception_handler(LimitExceeded)
    async def _limit(_: Request, exc: LimitExceeded) -> JSONResponse:
        status = 413 if exc.limit in SIZE_LIMITS else 422
        return problem(status, "Limit exceeded", exc.message, field=exc.field, limit=exc.limit, limit_value=exc.value,
                       errors=[{"field": exc.field, "message": exc.message}])

    @app.exception_handler(ValidationError)
    async def _validation(_: Request, exc: ValidationError) -> JSONResponse:
        return problem(422, "Invalid request", exc.message, field=exc.field, errors=[{"field": exc.field, "message": exc.message}])

    @app.exception_handler(Backpressure)
    async def _backpressure(_: Request, exc: Backpressure) -> JSONResponse:
        return problem(429, "Too many requests", str(exc), limit=exc.limit, retry_after=exc.retry_after_s)

    @app.exception_handler(AuthenticationFailed)
    async def _authn(_: Request, exc: AuthenticationFailed) -> JSONResponse:
        resp = problem(401, "Unauthorized", str(exc))
        resp.headers["WWW-Authenticate"] = 'Bearer realm="observer-eye"'
        return resp

    @app.exception_handler(LoginLocked)
    async def _locked(_: Request, exc: LoginLocked) -> JSONResponse:
        return problem(429, "Too many failed sign-ins", str(exc), limit=exc.limit, retry_after=exc.retry_after_s)

    @app.exception_handler(MfaRequired)
    async def _mfa(_: Request, exc: MfaRequired) -> JSONResponse:
        return problem(401, "Second factor required", str(exc), field="totp", mfa_required=True)

    @app.exception_handler(PermissionDenied)
    async def _authz(_: Request, exc: PermissionDenied) -> JSONResponse:
        return problem(403, "Forbidden", str(exc))

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return problem(404, "Not found", str(exc))

    @app.exception_handler(InvalidTransition)
    async def _transition(_: Request, exc: InvalidTransition) -> JSONResponse:
        return problem(409, "Not allowed in the current state", str(exc), state=exc.state, action=exc.event)

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        extra = {} if exc.current_version is None else {"current_version": exc.current_version}
        return problem(409, "Conflict", str(exc), **extra)

    @app.exception_handler(PreconditionRequired)
    async def _precondition(_: Request, exc: PreconditionRequired) -> JSONResponse:
        return problem(428, "Precondition required", str(exc), field="version")

    @app.exception_handler(WorkflowUnavailable)
    async def _no_workflows(_: Request, exc: WorkflowUnavailable) -> JSONResponse:
        return problem(501, "Not available in this deployment", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.__cause__ is not None and exc.detail == FASTAPI_UNPARSABLE_BODY:
            # FastAPI could not parse a JSON body ("There was an error parsing the body"):
            # say why, as the routes that parse their own bodies do.
            reason = _unparsable_body_reason(exc.__cause__)
            return problem(422, "Invalid request", reason, field="body",
                           errors=[{"field": "body", "message": reason}])
        return problem(exc.status_code, _title(exc.status_code), str(exc.detail))


def _unparsable_body_reason(cause: BaseException) -> str:
    if isinstance(cause, RecursionError):
        return "body is not valid JSON: it is nested too deep"
    if isinstance(cause, UnicodeDecodeError):
        return f"body is not valid UTF-8 (byte {cause.start})"
    if isinstance(cause, ValueError):  # e.g. an integer of more digits than Python converts
        return f"body is not valid JSON: {cause}"
    return f"body could not be parsed ({type(cause).__name__})"


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
