"""The FastAPI application: routes, problem+json errors, OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from fastapi import FastAPI

from adapters.http.deps import ApiServices
from adapters.http.frontend import install_frontend
from adapters.http.middleware.body_limit import BodyLimitMiddleware
from adapters.http.middleware.errors import UnexpectedErrorMiddleware
from adapters.http.middleware.json_text import UnicodeJsonMiddleware
from adapters.http.middleware.security_headers import SecurityHeadersMiddleware
from adapters.http.problems import install_problem_handlers
from adapters.http.routes import compliance, prometheus, rule_groups, runbooks, stream
from adapters.http.routes import (
    alerts, health, incidents, ingest, integrations, notifications, otlp, remote_write, telemetry,
)

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
    app.include_router(runbooks.router)  # /api/v1/runbooks
    if frontend_dir is not None:
        install_frontend(app, frontend_dir)  # the dashboard at / (when it was built): the router's fallback
    # Outermost last: headers on every answer (the 500s and 413s below included), then
    # the catch-all, then the body cap and the JSON text check before anything reads a body.
    app.add_middleware(UnicodeJsonMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=svc.max_body_bytes)
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, trust_forwarded_proto=trust_forwarded_proto)
    return app
