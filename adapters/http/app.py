"""The FastAPI application: routes, problem+json errors, OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from fastapi import FastAPI

from adapters.http.deps import ApiServices
from adapters.http.frontend import install_frontend
from adapters.http.problems import install_problem_handlers
from adapters.http.routes import compliance, prometheus, rule_groups, stream
from adapters.http.routes import (
    alerts, health, incidents, ingest, integrations, notifications, otlp, remote_write, telemetry,
)

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_app(
    svc: ApiServices, lifespan: Lifespan | None = None, version: str = "0.1.0", frontend_dir: Path | None = None
) -> FastAPI:
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
    if frontend_dir is not None:
        install_frontend(app, frontend_dir)  # the dashboard at / (when it was built)
    return app
