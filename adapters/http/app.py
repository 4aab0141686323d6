"""The FastAPI application: routes, problem+json errors, OpenAPI, and the middleware
that authenticates every request before anything reads its body."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from fastapi import FastAPI

from adapters.http.deps import ApiServices
from adapters.http.frontend import install_frontend
from adapters.http.middleware.audit import AuditMiddleware
from adapters.http.middleware.authentication import AuthenticationMiddleware
from adapters.http.middleware.body_limit import BodyLimitMiddleware
from adapters.http.middleware.errors import UnexpectedErrorMiddleware
from adapters.http.middleware.json_text import UnicodeJsonMiddleware
from adapters.http.middleware.security_headers import SecurityHeadersMiddleware
from adapters.http.problems import install_problem_handlers
from adapters.http.routes import (
    api_keys, audit, auth, compliance, dead_letters, prometheus, rule_groups, runbooks, stream, tenants, users,
)
from adapters.http.routes import oncall, oncall_feeds, oncall_views
from adapters.http.routes import maintenance_windows, rules
from adapters.http.routes import dashboards, preferences
from adapters.http.routes import (
    alerts, health, incidents, ingest, integrations, notifications, otlp, remote_write, telemetry,
)
from adapters.http.routes import routing

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_app(svc: ApiServices, lifespan: Lifespan | None = None, version: str = "0.1.0", *,
               frontend_dir: Path | None = None, trust_forwarded_proto: bool = False) -> FastAPI:
    app = FastAPI(
        title="Observer-Eye",
        version=version,
        description="Observability and incident response: ingest, query, alerts, incidents.",
        lifespan=lifespan,
    )
    app.state.services = svc
    install_problem_handlers(app)
    for module in (health, ingest, telemetry, alerts, incidents, otlp, remote_write, integrations, notifications):
        app.include_router(module.router)
    app.include_router(stream.router)  # WebSocket /api/v1/stream
    app.include_router(compliance.router)  # /api/v1/compliance
    app.include_router(prometheus.router)  # the Prometheus HTTP API under /prometheus
    app.include_router(rule_groups.router)  # /api/v1/rule-groups: PromQL rules
    app.include_router(rules.router)  # /api/v1/rules: alert rules as versioned resources
    app.include_router(maintenance_windows.router)  # /api/v1/maintenance-windows
    app.include_router(runbooks.router)  # /api/v1/runbooks
    app.include_router(preferences.router)  # /api/v1/me/preferences: the caller's own
    app.include_router(dashboards.router)  # /api/v1/dashboards: saved panels, JSON import and export
    app.include_router(dead_letters.router)  # /api/v1/dead-letters
    app.include_router(routing.router)  # /api/v1/routing, receivers, inhibit-rules, time-intervals
    app.include_router(oncall.router)  # /api/v1/escalation-policies, /api/v1/schedules
    app.include_router(oncall_views.router)  # /api/v1/oncall, schedules' now-and-next and shifts
    app.include_router(oncall_feeds.router)  # /api/v1/oncall/feeds: calendar feeds of shifts
    for module in (auth, users, api_keys, tenants, audit):  # identity: /api/v1/auth, users, teams, ...
        app.include_router(module.router)
    if frontend_dir is not None:
        install_frontend(app, frontend_dir)  # the dashboard at / (when it was built): the router's fallback
    # Added last = outermost. In the order a request meets them: security headers on
    # every answer (the 500s, 401s and 413s below included); the catch-all; then
    # authentication and the body cap, both from the headers before anything reads a
    # body; the JSON text check; and the audit of changes, which needs the principal.
    app.add_middleware(AuditMiddleware, services=lambda: svc)
    app.add_middleware(UnicodeJsonMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=svc.max_body_bytes)
    app.add_middleware(AuthenticationMiddleware, services=lambda: svc)
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, trust_forwarded_proto=trust_forwarded_proto)
    return app
