"""The request body-size cap, enforced before any route reads or parses a body.

Why a middleware: FastAPI reads and parses a JSON body before the route's code runs,
so a limit checked inside a route comes too late for every route without its own
reader. Here every HTTP request passes the cap first (DESIGN.md §7, 413 naming
``max_body_bytes``):

- a ``Content-Length`` over the cap is answered at once; the body is never read;
- a body without one (chunked) is counted while the application pulls it, and the
  pull that crosses the cap is cut off: the application gets an error instead of more
  bytes, and whatever it answers is replaced by the 413.

The number is ``ApiServices.max_body_bytes`` (``OBSERVER_MAX_BODY_BYTES``), the one the
ingest routes check too; a route with a smaller limit (compliance facts) still checks
its own after this one.

``run_inspected`` is the cut-off machinery, shared with the other body checks
(``adapters.http.middleware.json_text``).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.http.problems import problem

# Looks at each body chunk as the application pulls it (``final`` on the last one);
# answers the response that replaces the application's when the body must be refused.
ChunkCheck = Callable[[bytes, bool], Response | None]


class BodyRefused(HTTPException):
    """Raised into the application when a body check refuses the body. An
    ``HTTPException`` so FastAPI's body parsing re-raises it instead of answering 400;
    the middleware answers for it either way."""

    def __init__(self) -> None:
        super().__init__(400, "the request body was refused")


def too_large(limit: int, declared: int | None = None) -> Response:
    detail = (f"request body is {declared} bytes, over the limit of {limit}" if declared is not None
              else f"request body is over the limit of {limit} bytes")
    response = problem(413, "Limit exceeded", detail, field="body", limit="max_body_bytes", limit_value=limit,
                       errors=[{"field": "body", "message": detail}])
    # The rest of the body stays unread: the connection cannot be reused for another request.
    response.headers["Connection"] = "close"
    return response


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await too_large(self.limit, declared)(scope, receive, send)
            return
        received = 0

        def check(chunk: bytes, final: bool) -> Response | None:
            nonlocal received
            received += len(chunk)
            return too_large(self.limit) if received > self.limit else None

        await run_inspected(self.app, scope, receive, send, check)


async def run_inspected(app: ASGIApp, scope: Scope, receive: Receive, send: Send, check: ChunkCheck) -> None:
    """Run ``app`` with every body chunk it pulls passed to ``check`` first. Once
    ``check`` refuses, the application gets ``BodyRefused`` instead of the chunk, and
    its answer (unless already under way) is replaced by the refusal."""
    refusal: Response | None = None
    started = False

    async def inspected_receive() -> Message:
        nonlocal refusal
        if refusal is not None:
            raise BodyRefused()
        message = await receive()
        if message["type"] == "http.request":
            refusal = check(message.get("body", b""), not message.get("more_body", False))
            if refusal is not None:
                raise BodyRefused()
        return message

    async def guarded_send(message: Message) -> None:
        nonlocal started
        if refusal is not None and not started:
            return  # the application's answer to the refused body is replaced below
        if message["type"] == "http.response.start":
            started = True
        await send(message)

    try:
        await app(scope, inspected_receive, guarded_send)
    except Exception:
        # Whatever the application made of the cut-off (its own error, a re-raise),
        # the answer is the refusal.
        if refusal is None:
            raise
    if refusal is not None and not started:
        await refusal(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None
