"""Authentication as ASGI middleware: every request's credential is checked from its
headers alone, before any route runs or any byte of the body is read.

Credentials, in this order: ``Authorization: Bearer <API key or JWT>``;
``Authorization: Basic`` with an API key as the password (Prometheus data sources,
Grafana); the ``oe_session`` cookie; for the WebSocket also a single-use ``?ticket=``.
The principal (or None) goes to ``scope["state"]["principal"]``, where ``request.state``
and ``deps.require`` find it.

Without a valid credential a request gets 401 here, unless its route is anonymous: the
health checks, the sign-in routes, the documentation when the operator opted out, and
any path outside the API that no API route matches (the dashboard's files). A request
authenticated by the session cookie that changes something (POST, PUT, PATCH, DELETE)
on a route that is not anonymous must echo the session's CSRF token in
``X-CSRF-Token``, else 403. WebSocket handshakes are passed to the route with the
principal or the reason it has none: the route answers with a close code a browser can
show.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import Headers
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from adapters.http.deps import ApiServices
from adapters.http.frontend import is_api_path
from adapters.http.problems import problem
from domain.errors import AuthenticationFailed
from services.identity import SessionAuth

SESSION_COOKIE = "oe_session"
CSRF_COOKIE = "oe_csrf"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
ANONYMOUS_PATHS = frozenset({
    "/healthz", "/readyz", "/api/v1/auth/providers", "/api/v1/auth/login", "/api/v1/auth/set-password",
})
ANONYMOUS_PATTERNS = (re.compile(r"^/api/v1/auth/oidc/[^/]+/(login|callback)$"),)
# A calendar feed: calendar apps send no credential, the secret in the URL is one.
ANONYMOUS_PATTERNS += (re.compile(r"^/api/v1/oncall/feeds/[A-Za-z0-9_-]{40,64}\.ics$"),)


def cookie(headers: Headers, name: str) -> str | None:
    """One cookie's value from the ``Cookie`` header (the last one wins, like browsers send)."""
    found = None
    for header in headers.getlist("cookie"):
        for part in header.split(";"):
            key, sep, value = part.strip().partition("=")
            if sep and key == name:
                found = value.strip().strip('"')
    return found


def basic_password(value: str) -> str | None:
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return decoded.partition(":")[2] or None


def same_origin(headers: Headers) -> bool:
    """The ``Origin`` header names the host the request was sent to."""
    origin, host = headers.get("origin"), headers.get("host")
    return bool(origin and host) and urlsplit(origin).netloc.lower() == host.lower()  # type: ignore[union-attr]


class AuthenticationMiddleware:
    def __init__(self, app: ASGIApp, services: Callable[[], ApiServices]) -> None:
        self.app = app
        self._services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        headers = Headers(scope=scope)
        svc = self._services()
        principal, session, error = None, None, None
        try:
            found = await self._authenticate(scope, headers, svc)
        except AuthenticationFailed as exc:
            found, error = None, exc
        if isinstance(found, SessionAuth):
            principal, session = found.principal, found.session
        else:
            principal = found
        state["principal"], state["session"] = principal, session
        if scope["type"] == "websocket":
            state["auth_error"] = error
            await self.app(scope, receive, send)
            return
        anonymous = self._anonymous(scope, svc)
        if principal is None and not anonymous:
            await self._refuse(scope, receive, send, error)
            return
        # An anonymous route does not act for the session (signing in again makes a new
        # one), so it needs no CSRF token; every other write by cookie does.
        unsafe = scope["method"] in UNSAFE_METHODS
        if session is not None and not anonymous and unsafe and not session.csrf_matches(headers.get(CSRF_HEADER)):
            await problem(403, "Forbidden", "the CSRF token is missing or wrong: send the oe_csrf cookie's value "
                          "in the X-CSRF-Token header", field="X-CSRF-Token")(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _authenticate(self, scope: Scope, headers: Headers, svc: ApiServices) -> Any:
        auth = svc.identity.auth
        scheme, _, value = headers.get("authorization", "").partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer" and value.strip():
            return await auth.bearer(value.strip())
        if scheme == "basic":
            password = basic_password(value)
            if not password:
                raise AuthenticationFailed("HTTP Basic needs an API key as the password")
            return await auth.api_key(password)
        if scheme:
            raise AuthenticationFailed(f"unsupported authorization scheme {scheme!r}: use Bearer (or Basic)")
        if scope["type"] == "websocket":
            ticket = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("ticket")
            if ticket:
                return await auth.redeem_ticket(ticket[-1])
        token = cookie(headers, SESSION_COOKIE)
        if token is None:
            return None
        if scope["type"] == "websocket" and not same_origin(headers):
            raise AuthenticationFailed("a WebSocket signed in by cookie must come from this origin")
        return await auth.session(token)

    @staticmethod
    def _anonymous(scope: Scope, svc: ApiServices) -> bool:
        """May this request go on without a credential?"""
        path = scope["path"]
        if path in ANONYMOUS_PATHS or any(p.match(path) for p in ANONYMOUS_PATTERNS):
            return True
        if path in DOCS_PATHS:
            return svc.identity.web.docs_public
        if is_api_path(path):  # the API's own paths, known or not (adapters/http/frontend.py)
            return False
        app = scope.get("app")
        routes: list[BaseRoute] = getattr(getattr(app, "router", None), "routes", [])
        # A path that is a route of the API needs a credential; anything else is a file
        # of the dashboard (a mount at "/" would match every path: mounts do not count).
        return not any(not isinstance(r, Mount) and r.matches(scope)[0] is not Match.NONE for r in routes)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, error: AuthenticationFailed | None) -> None:
        detail = str(error) if error else "credential required: sign in, or send 'Authorization: Bearer <API key>'"
        response = problem(401, "Unauthorized", detail)
        response.headers["WWW-Authenticate"] = 'Bearer realm="observer-eye"'
        await response(scope, receive, send)
