"""The audit of every change made through the API.

Each request that may change something (POST, PUT, PATCH, DELETE) by an authenticated
principal is written to the audit log with its status, once the response has started:
who, which tenant, what (``http.post`` on the path), when, from which address. Routes of
the identity context write richer entries themselves (with before and after, in the unit
of work of the change) and mark the request ``audited``. Telemetry pushes (the
``telemetry:ingest`` permission) are data, not changes to the tenant, and are not
recorded per request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.http.deps import ApiServices
from adapters.http.middleware.authentication import UNSAFE_METHODS
from domain.identity.permissions import Permission
from services.identity import Actor

log = logging.getLogger(__name__)
AUDITED = "audited"  # request.state flag: the route recorded its own entry


def remote_addr(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else ""


class AuditMiddleware:
    def __init__(self, app: ASGIApp, services: Callable[[], ApiServices]) -> None:
        self.app = app
        self._services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        status: list[int] = []

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            await self._record(scope, status[0] if status else 500)

    async def _record(self, scope: Scope, status: int) -> None:
        state = scope.get("state", {})
        principal = state.get("principal")
        if principal is None or state.get(AUDITED) or state.get("permission") is Permission.INGEST_TELEMETRY:
            return
        try:
            await self._services().identity.audit.record(
                Actor.of(principal, remote_addr(scope)), principal.tenant, f"http.{scope['method'].lower()}",
                scope["path"], status=status)
        except Exception:  # noqa: BLE001 - the response is sent already: all that is left is to say so loudly
            log.exception("could not write the audit entry of %s %s by %s", scope["method"], scope["path"],
                          principal.subject)
