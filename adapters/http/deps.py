"""What the HTTP adapter needs from the rest of the system (handed in by the composition root)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from fastapi import Request
from starlette.requests import HTTPConnection

from domain.errors import AuthenticationFailed, PermissionDenied
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from adapters.http.ingest_formats.otlp_mapping import OtlpOptions
from ports.identity_providers import IdentityProvider
from services.alerting import AlertService
from services.compliance import ComplianceService
from services.dead_letters import DeadLetters
from services.external_alerts import ExternalAlertService
from services.identity import (
    AccountService,
    ApiKeyService,
    AuditService,
    Authenticator,
    SignInService,
    TenantService,
)
from services.incidents import IncidentService
from services.notifications import NotificationService
from services.oncall_config import OnCallConfigService
from services.ingest import IngestService
from services.maintenance_windows import MaintenanceWindowService
from services.preferences import PreferenceService
from services.dashboards import DashboardService
from services.promql.engine import PromQLEngine
from services.promrules.groups import RuleGroupService
from services.queries import TelemetryQueries
from services.routing import RoutingService
from services.runbooks import RunbookService
from services.rules import RuleService
from services.streaming import StreamHub
from ports.clock import Clock

ReadinessCheck = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class WebOptions:
    """How the API meets browsers: cookies, the public URL, the API documentation."""

    cookie_secure: bool = False  # Secure cookies even on plain HTTP requests (a TLS proxy not trusted by uvicorn)
    public_url: str | None = None  # e.g. https://oe.example.com: the base of OIDC callback URLs (else the request's)
    docs_public: bool = False  # /docs, /redoc, /openapi.json without a credential
    session_lifetime_s: int = 7 * 24 * 3600  # how long browsers keep the cookies


@dataclass
class Identity:
    """The identity services and the configured identity providers (id -> provider)."""

    auth: Authenticator
    sign_in: SignInService
    accounts: AccountService
    keys: ApiKeyService
    tenants: TenantService
    audit: AuditService
    providers: Mapping[str, IdentityProvider] = field(default_factory=dict)
    web: WebOptions = field(default_factory=WebOptions)


@dataclass
class ApiServices:
    ingest: IngestService
    queries: TelemetryQueries
    identity: Identity
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
    dead_letters: DeadLetters | None = None  # messages the consumers gave up on (routes/dead_letters.py)
    routing: RoutingService | None = None  # notification routing resources (routes/routing.py)
    oncall: OnCallConfigService | None = None  # escalation policies, schedules (routes/oncall*.py)
    rules: RuleService | None = None  # alert rules as versioned resources (routes/rules.py)
    maintenance_windows: MaintenanceWindowService | None = None  # (routes/maintenance_windows.py)
    preferences: PreferenceService | None = None  # each user's own (routes/preferences.py)
    dashboards: DashboardService | None = None  # a tenant's saved dashboards (routes/dashboards.py)


async def services(request: Request) -> ApiServices:
    """A FastAPI dependency (``async``: a plain function would cost a thread-pool hop per request)."""
    return request.app.state.services


def current_principal(connection: HTTPConnection) -> Principal | None:
    """The principal the authentication middleware put on the request or WebSocket
    (None: anonymous)."""
    return connection.scope.get("state", {}).get("principal")


def _authenticated(request: Request) -> Principal:
    principal = current_principal(request)
    if principal is None:  # the middleware lets only anonymous routes through without one
        raise AuthenticationFailed("credential required")
    return principal


async def authenticated(request: Request) -> Principal:
    """A FastAPI dependency: any authenticated principal. (Dependencies are ``async``:
    FastAPI runs plain functions in a thread pool, a hop per request for nothing.)"""
    return _authenticated(request)


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency: the authenticated principal, if it holds ``permission``.
    Authentication happened in the middleware, before the body was read; this only
    authorizes (and tells the audit middleware what kind of change it is)."""

    async def dependency(request: Request) -> Principal:
        principal = _authenticated(request)
        request.state.permission = permission
        principal.require(permission)
        return principal

    return dependency


def require_any(*permissions: Permission) -> Callable[..., Awaitable[Principal]]:
    """The principal, if it holds at least one of ``permissions``."""

    async def dependency(request: Request) -> Principal:
        principal = _authenticated(request)
        if not any(principal.can(p) for p in permissions):
            raise PermissionDenied(f"this needs one of {', '.join(p.value for p in permissions)}")
        return principal

    return dependency
