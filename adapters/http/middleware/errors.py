"""The catch-all: anything unexpected becomes a problem+json 500 with an id to quote.

Errors users can cause have their own handlers (``adapters.http.problems``); whatever
escapes them is a bug or an outage. The caller gets the status, a short text and an
``error_id``; the log gets the id with the traceback, the method and the path. Nothing
internal (exception text, paths, SQL) reaches the body: it could carry secrets or
another tenant's data.

A middleware rather than an ``Exception`` handler, because Starlette re-raises after
its ``Exception`` handler answered, so the server would log every error a second time
without the id.
"""

from __future__ import annotations

import logging
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.http.problems import PROBLEM_HEADERS, problem

log = logging.getLogger("observer_eye.http")


def new_error_id() -> str:
    return secrets.token_hex(8)


class UnexpectedErrorMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            error_id = new_error_id()
            log.error("unexpected error %s on %s %s", error_id, scope.get("method"), scope.get("path"), exc_info=exc)
            if started:  # part of the answer is out: the connection is cut, the log has the rest
                return
            response = problem(500, "Internal Server Error",
                               f"an unexpected error occurred; quote error id {error_id} when you report it",
                               error_id=error_id, instance=f"urn:observer-eye:error:{error_id}")
            # Headers the route promised on every failure (remote write's "*-Written").
            state = scope.get("state") or {}
            for name, value in (state.get(PROBLEM_HEADERS) or {}).items():
                response.headers.setdefault(name, value)
            await response(scope, receive, send)
