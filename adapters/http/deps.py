"""What the HTTP adapter needs from the rest of the system (handed in by the composition root)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import Depends, Request

from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from adapters.http.ingest_formats.otlp_mapping import OtlpOptions
from services.alerting import AlertService
from services.compliance import ComplianceService
from services.external_alerts import ExternalAlertService
from services.identity import IdentityService
from services.incidents import IncidentService
from services.notifications import NotificationService
from services.ingest import IngestService
from services.promql.engine import PromQLEngine
from services.promrules.groups import RuleGroupService
from services.queries import TelemetryQueries
from services.runbooks import RunbookService
from services.streaming import StreamHub
from ports.clock import Clock

ReadinessCheck = Callable[[], Awaitable[None]]


@dataclass
class ApiServices:
    ingest: IngestService
    queries: TelemetryQueries
    identity: IdentityService
    alerts: AlertService
    incidents: IncidentService
    clock: Clock
    readiness: dict[str, ReadinessCheck] = field(default_factory=dict)
    max_body_bytes: int = 10 * 1024 * 1024
    # What a gzip/zstd/snappy body may inflate to (DESIGN.md §7: 413 naming the limit).
    max_decompressed_bytes: int = 32 * 1024 * 1024
    otlp: OtlpOptions = field(default_factory=OtlpOptions)
    external_alerts: ExternalAlertService | None = None  # Alertmanager / Grafana webhook intake
    notifications: NotificationService | None = None  # delivery audit, receivers (alert pipeline)
    stream: StreamHub | None = None  # live updates for /api/v1/stream (routes/stream.py)
    compliance: ComplianceService | None = None  # controls, posture, evidence (routes/compliance.py)
    promql: PromQLEngine | None = None  # the Prometheus API under /prometheus (routes/prometheus/)
    rule_groups: RuleGroupService | None = None  # PromQL rule groups (routes/rule_groups.py)
    rule_interval_ms: int = 60_000  # a rule group's evaluation interval when it sets none
    runbooks: RunbookService | None = None  # the remediation runbook catalogue (routes/runbooks.py)


def services(request: Request) -> ApiServices:
    return request.app.state.services


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value:
        return value
    return None


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency: the authenticated principal, if it holds ``permission``."""

    async def dependency(request: Request, svc: ApiServices = Depends(services)) -> Principal:
        principal = await svc.identity.authenticate(_bearer(request))
        principal.require(permission)
        return principal

    return dependency
