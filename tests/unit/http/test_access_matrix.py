"""The route x principal x tenant matrix, generated from the app's OpenAPI document.

For every route and method, every kind of caller (anonymous; a viewer, responder, admin
and platform admin signed in; API keys of each scope; an admin of another tenant,
signed in and by key) gets exactly the answer ``ACCESS`` declares: 401 without a
credential, 403 without the permission, anything but 401/403 (and never a 5xx) with it.

Both tenants hold the same ids (``inc-1``, ``usr-1`` ...) with data marked by their own
word (``alphamark``, ``bravomark``); tenant alpha also holds ids of its own (``inc-2`` ...).
No answer to a caller of one tenant may contain the other's word, whichever ids the URL
names. A route missing from ``ACCESS`` (or an entry for a route that is gone) fails the
test: a new route is declared with its permission, or this test stays red.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.clock import FakeClock
from domain.alerts.history import AlertDecision
from domain.alerts.maintenance import MaintenanceWindow, Schedule
from domain.alerts.rule_groups import AlertingRule, RuleGroup
from domain.alerts.rules import Comparison, ThresholdRule
from domain.alerts.silences import Silence
from ports.routing import ROOT, RoutingItem, RoutingKind
from ports.oncall_store import OnCallRecord
from ports.runbooks import RunbookRecord
from domain.alerts.state import Alert
from domain.dashboards.dashboard import Dashboard, Panel
from domain.dashboards.preferences import UserPreferences
from domain.identity import Permission as P
from domain.identity import Role, Session, Team, Tenant, User, generate_api_key
from domain.incidents.incident import Incident, Severity
from domain.metrics.labels import LabelSet
from domain.metrics.matchers import Matcher
from domain.metrics.batch import SampleBatch, SeriesSamples
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from domain.notifications.delivery import Delivery
from entrypoints.container import build_container
from entrypoints.runtime import build_app
from entrypoints.settings import Settings
from services.identity import Actor
from tests.unit.http.conftest import NOW_MS

ANONYMOUS, AUTHENTICATED = "anonymous", "authenticated"
READERS = (P.READ_TELEMETRY, P.READ_ALERTS, P.READ_INCIDENTS)  # any one of them

# (method, path) -> who may call it. Every route of the OpenAPI document, no more.
ACCESS: dict[tuple[str, str], Any] = {
    ("GET", "/healthz"): ANONYMOUS,
    ("GET", "/readyz"): ANONYMOUS,
    ("POST", "/api/v1/ingest"): P.INGEST_TELEMETRY,
    ("POST", "/v1/metrics"): P.INGEST_TELEMETRY,
    ("POST", "/api/v1/write"): P.INGEST_TELEMETRY,
    ("POST", "/api/v1/integrations/alertmanager"): P.INGEST_TELEMETRY,
    ("POST", "/api/v1/integrations/grafana"): P.INGEST_TELEMETRY,
    ("GET", "/api/v1/series"): P.READ_TELEMETRY,
    ("GET", "/api/v1/query_range"): P.READ_TELEMETRY,
    ("GET", "/api/v1/alerts"): P.READ_ALERTS,
    ("GET", "/api/v1/alerts/{fingerprint}/history"): P.READ_ALERTS,
    ("GET", "/api/v1/rules"): P.READ_ALERTS,
    ("POST", "/api/v1/rules"): P.MANAGE_RULES,
    ("DELETE", "/api/v1/rules/{rule_id}"): P.MANAGE_RULES,
    ("GET", "/api/v1/rules/groups"): P.READ_ALERTS,
    ("GET", "/api/v1/rules/{rule_id}"): P.READ_ALERTS,
    ("PUT", "/api/v1/rules/{rule_id}"): P.MANAGE_RULES,
    ("PATCH", "/api/v1/rules/{rule_id}"): P.MANAGE_RULES,
    ("POST", "/api/v1/rules/{rule_id}/enable"): P.MANAGE_RULES,
    ("POST", "/api/v1/rules/{rule_id}/disable"): P.MANAGE_RULES,
    ("POST", "/api/v1/rules/dry-run"): P.MANAGE_RULES,
    ("POST", "/api/v1/rules/{rule_id}/dry-run"): P.READ_ALERTS,
    ("GET", "/api/v1/maintenance-windows"): P.READ_ALERTS,
    ("POST", "/api/v1/maintenance-windows"): P.MANAGE_SILENCES,
    ("GET", "/api/v1/maintenance-windows/{window_id}"): P.READ_ALERTS,
    ("PUT", "/api/v1/maintenance-windows/{window_id}"): P.MANAGE_SILENCES,
    ("DELETE", "/api/v1/maintenance-windows/{window_id}"): P.MANAGE_SILENCES,
    ("GET", "/api/v1/silences"): P.READ_ALERTS,
    ("POST", "/api/v1/silences"): P.MANAGE_SILENCES,
    ("POST", "/api/v1/silences/{silence_id}/expire"): P.MANAGE_SILENCES,
    ("GET", "/api/v1/notifications/deliveries"): P.READ_ALERTS,
    ("GET", "/api/v1/notifications/deliveries/{key}"): P.READ_ALERTS,
    ("GET", "/api/v1/notifications/receivers"): P.READ_ALERTS,
    ("GET", "/api/v1/incidents"): P.READ_INCIDENTS,
    ("GET", "/api/v1/incidents/{incident_id}"): P.READ_INCIDENTS,
    ("POST", "/api/v1/incidents/{incident_id}/acknowledge"): P.ACT_ON_INCIDENTS,
    ("POST", "/api/v1/incidents/{incident_id}/mitigate"): P.ACT_ON_INCIDENTS,
    ("POST", "/api/v1/incidents/{incident_id}/resolve"): P.ACT_ON_INCIDENTS,
    ("POST", "/api/v1/incidents/{incident_id}/reopen"): P.ACT_ON_INCIDENTS,
    ("POST", "/api/v1/incidents/{incident_id}/close"): P.MANAGE_INCIDENTS,
    ("POST", "/api/v1/incidents/{incident_id}/notes"): P.ACT_ON_INCIDENTS,
    ("POST", "/api/v1/incidents/{incident_id}/severity"): P.MANAGE_INCIDENTS,
    ("POST", "/api/v1/incidents/{incident_id}/escalate"): P.ACT_ON_INCIDENTS,
    ("POST", "/api/v1/incidents/{incident_id}/escalation/pause"): P.ACT_ON_INCIDENTS,
    ("POST", "/api/v1/incidents/{incident_id}/escalation/resume"): P.ACT_ON_INCIDENTS,
    ("POST", "/api/v1/incidents/{incident_id}/remediations"): P.ACT_ON_INCIDENTS,
    ("GET", "/api/v1/incidents/{incident_id}/remediations/{run_id}"): P.READ_INCIDENTS,
    ("POST", "/api/v1/incidents/{incident_id}/remediations/{run_id}/steps/{step_id}/approve"): P.ACT_ON_INCIDENTS,
    ("POST", "/api/v1/incidents/{incident_id}/remediations/{run_id}/steps/{step_id}/reject"): P.ACT_ON_INCIDENTS,
    ("POST", "/api/v1/incidents/{incident_id}/remediations/{run_id}/steps/{step_id}/complete"): P.ACT_ON_INCIDENTS,
    ("POST", "/api/v1/incidents/{incident_id}/postmortem/publish"): P.MANAGE_INCIDENTS,
    ("GET", "/api/v1/runbooks"): P.READ_INCIDENTS,
    ("POST", "/api/v1/runbooks"): P.MANAGE_RUNBOOKS,
    ("GET", "/api/v1/runbooks/{runbook_id}"): P.READ_INCIDENTS,
    ("PUT", "/api/v1/runbooks/{runbook_id}"): P.MANAGE_RUNBOOKS,
    ("DELETE", "/api/v1/runbooks/{runbook_id}"): P.MANAGE_RUNBOOKS,
    ("GET", "/api/v1/runbooks/{runbook_id}/versions"): P.READ_INCIDENTS,
    ("GET", "/api/v1/runbooks/{runbook_id}/versions/{version}"): P.READ_INCIDENTS,
    ("GET", "/api/v1/compliance/controls"): P.READ_COMPLIANCE,
    ("GET", "/api/v1/compliance/posture"): P.READ_COMPLIANCE,
    ("GET", "/api/v1/compliance/controls/{control_id}/evaluations"): P.READ_COMPLIANCE,
    ("POST", "/api/v1/compliance/evaluate"): P.MANAGE_COMPLIANCE,
    ("GET", "/api/v1/compliance/facts"): P.READ_COMPLIANCE,
    ("PUT", "/api/v1/compliance/facts"): P.MANAGE_COMPLIANCE,
    ("GET", "/api/v1/auth/providers"): ANONYMOUS,
    ("POST", "/api/v1/auth/login"): ANONYMOUS,
    ("POST", "/api/v1/auth/set-password"): ANONYMOUS,
    ("GET", "/api/v1/auth/oidc/{provider}/login"): ANONYMOUS,
    ("GET", "/api/v1/auth/oidc/{provider}/callback"): ANONYMOUS,
    ("POST", "/api/v1/auth/logout"): AUTHENTICATED,
    ("GET", "/api/v1/auth/me"): AUTHENTICATED,
    ("PATCH", "/api/v1/auth/me"): AUTHENTICATED,
    ("POST", "/api/v1/auth/me/password"): AUTHENTICATED,
    ("POST", "/api/v1/auth/me/totp"): AUTHENTICATED,
    ("DELETE", "/api/v1/auth/me/totp"): AUTHENTICATED,
    ("POST", "/api/v1/auth/me/totp/confirm"): AUTHENTICATED,
    ("GET", "/api/v1/me/preferences"): AUTHENTICATED,
    ("PUT", "/api/v1/me/preferences"): AUTHENTICATED,
    ("GET", "/api/v1/dashboards"): P.READ_TELEMETRY,
    ("POST", "/api/v1/dashboards"): P.MANAGE_DASHBOARDS,
    ("GET", "/api/v1/dashboards/{dashboard_id}"): P.READ_TELEMETRY,
    ("GET", "/api/v1/dashboards/{dashboard_id}/export"): P.READ_TELEMETRY,
    ("PUT", "/api/v1/dashboards/{dashboard_id}"): P.MANAGE_DASHBOARDS,
    ("DELETE", "/api/v1/dashboards/{dashboard_id}"): P.MANAGE_DASHBOARDS,
    ("POST", "/api/v1/stream/tickets"): READERS,
    ("GET", "/api/v1/users"): P.MANAGE_USERS,
    ("POST", "/api/v1/users"): P.MANAGE_USERS,
    ("GET", "/api/v1/users/{user_id}"): P.MANAGE_USERS,
    ("PATCH", "/api/v1/users/{user_id}"): P.MANAGE_USERS,
    ("POST", "/api/v1/users/{user_id}/deactivate"): P.MANAGE_USERS,
    ("POST", "/api/v1/users/{user_id}/reactivate"): P.MANAGE_USERS,
    ("POST", "/api/v1/users/{user_id}/reset-password"): P.MANAGE_USERS,
    ("POST", "/api/v1/users/{user_id}/reset-mfa"): P.MANAGE_USERS,
    ("GET", "/api/v1/teams"): P.READ_TEAMS,
    ("POST", "/api/v1/teams"): P.MANAGE_TEAMS,
    ("GET", "/api/v1/teams/{team_id}"): P.READ_TEAMS,
    ("PATCH", "/api/v1/teams/{team_id}"): P.MANAGE_TEAMS,
    ("DELETE", "/api/v1/teams/{team_id}"): P.MANAGE_TEAMS,
    ("GET", "/api/v1/api-keys"): P.MANAGE_API_KEYS,
    ("POST", "/api/v1/api-keys"): P.MANAGE_API_KEYS,
    ("GET", "/api/v1/api-keys/{key_id}"): P.MANAGE_API_KEYS,
    ("DELETE", "/api/v1/api-keys/{key_id}"): P.MANAGE_API_KEYS,
    ("POST", "/api/v1/api-keys/{key_id}/rotate"): P.MANAGE_API_KEYS,
    ("GET", "/api/v1/tenants"): P.MANAGE_TENANTS,
    ("POST", "/api/v1/tenants"): P.MANAGE_TENANTS,
    ("POST", "/api/v1/tenants/{tenant_id}/deactivate"): P.MANAGE_TENANTS,
    ("POST", "/api/v1/tenants/{tenant_id}/reactivate"): P.MANAGE_TENANTS,
    ("GET", "/api/v1/dead-letters"): P.MANAGE_DEAD_LETTERS,
    ("GET", "/api/v1/dead-letters/{letter_id}"): P.MANAGE_DEAD_LETTERS,
    ("POST", "/api/v1/dead-letters/{letter_id}/replay"): P.MANAGE_DEAD_LETTERS,
    ("GET", "/api/v1/audit"): P.READ_AUDIT,
    ("GET", "/api/v1/audit/export"): P.READ_AUDIT,
    ("GET", "/api/v1/rule-groups"): P.READ_ALERTS,
    ("POST", "/api/v1/rule-groups"): P.MANAGE_RULES,
    ("POST", "/api/v1/rule-groups/import"): P.MANAGE_RULES,
    ("GET", "/api/v1/rule-groups/{name}"): P.READ_ALERTS,
    ("PUT", "/api/v1/rule-groups/{name}"): P.MANAGE_RULES,
    ("DELETE", "/api/v1/rule-groups/{name}"): P.MANAGE_RULES,
    **{(method, f"/prometheus/api/v1/{path}"): P.READ_TELEMETRY
       for path in ("query", "query_range", "query_exemplars", "format_query", "series", "labels")
       for method in ("GET", "POST")},
    ("GET", "/prometheus/api/v1/label/{name}/values"): P.READ_TELEMETRY,
    ("GET", "/prometheus/api/v1/metadata"): P.READ_TELEMETRY,
    ("GET", "/prometheus/api/v1/status/buildinfo"): P.READ_TELEMETRY,
    ("GET", "/api/v1/escalation-policies"): P.READ_INCIDENTS,
    ("POST", "/api/v1/escalation-policies"): P.MANAGE_ONCALL,
    ("GET", "/api/v1/escalation-policies/{policy_id}"): P.READ_INCIDENTS,
    ("PUT", "/api/v1/escalation-policies/{policy_id}"): P.MANAGE_ONCALL,
    ("DELETE", "/api/v1/escalation-policies/{policy_id}"): P.MANAGE_ONCALL,
    ("GET", "/api/v1/schedules"): P.READ_INCIDENTS,
    ("POST", "/api/v1/schedules"): P.MANAGE_ONCALL,
    ("GET", "/api/v1/schedules/{schedule_id}"): P.READ_INCIDENTS,
    ("PUT", "/api/v1/schedules/{schedule_id}"): P.MANAGE_ONCALL,
    ("DELETE", "/api/v1/schedules/{schedule_id}"): P.MANAGE_ONCALL,
    ("POST", "/api/v1/schedules/{schedule_id}/overrides"): P.MANAGE_OVERRIDES,
    ("DELETE", "/api/v1/schedules/{schedule_id}/overrides/{override_id}"): P.MANAGE_OVERRIDES,
    ("GET", "/api/v1/schedules/{schedule_id}/oncall"): P.READ_INCIDENTS,
    ("GET", "/api/v1/schedules/{schedule_id}/shifts"): P.READ_INCIDENTS,
    ("GET", "/api/v1/oncall"): P.READ_INCIDENTS,
    ("POST", "/api/v1/oncall/feeds"): P.READ_INCIDENTS,
    ("GET", "/api/v1/oncall/feeds"): P.READ_INCIDENTS,
    ("DELETE", "/api/v1/oncall/feeds/{feed_id}"): P.READ_INCIDENTS,
    ("GET", "/api/v1/oncall/feeds/{token}.ics"): ANONYMOUS,
    ("GET", "/prometheus/api/v1/rules"): P.READ_ALERTS,
    ("GET", "/prometheus/api/v1/alerts"): P.READ_ALERTS,
    # notification routing (docs/adr/0018-notification-routing.md)
    ("GET", "/api/v1/routing/tree"): P.READ_ALERTS,
    ("PUT", "/api/v1/routing/tree"): P.MANAGE_ROUTING,
    ("GET", "/api/v1/routing/alertmanager"): P.READ_ALERTS,
    ("PUT", "/api/v1/routing/alertmanager"): P.MANAGE_ROUTING,
    **{(method, f"/api/v1/{kind}{path}"): (P.READ_ALERTS if method == "GET" else P.MANAGE_ROUTING)
       for kind in ("receivers", "inhibit-rules", "time-intervals")
       for method, path in (("GET", ""), ("POST", ""), ("GET", "/{name}"), ("PUT", "/{name}"), ("DELETE", "/{name}"))},
    ("POST", "/api/v1/receivers/{name}/test"): P.MANAGE_ROUTING,
}

# Lists that hold the tenant's marked data: an authorized caller must see its own mark
# there (else the leak check below would prove nothing).
SHOWS_OWN_DATA = {
    "/api/v1/series", "/api/v1/alerts", "/api/v1/alerts/{fingerprint}/history", "/api/v1/rules", "/api/v1/rules/{rule_id}", "/api/v1/maintenance-windows",
    "/api/v1/maintenance-windows/{window_id}", "/api/v1/silences", "/api/v1/incidents",
    "/api/v1/incidents/{incident_id}", "/api/v1/notifications/deliveries", "/api/v1/notifications/deliveries/{key}",
    "/api/v1/compliance/facts", "/api/v1/users", "/api/v1/users/{user_id}", "/api/v1/teams",
    "/api/v1/teams/{team_id}", "/api/v1/api-keys", "/api/v1/api-keys/{key_id}", "/api/v1/audit",
    "/api/v1/runbooks", "/api/v1/runbooks/{runbook_id}", "/api/v1/runbooks/{runbook_id}/versions",
    "/api/v1/runbooks/{runbook_id}/versions/{version}", "/api/v1/rule-groups", "/api/v1/rule-groups/{name}",
    "/prometheus/api/v1/query", "/prometheus/api/v1/query_range", "/prometheus/api/v1/series",
    "/prometheus/api/v1/label/{name}/values", "/prometheus/api/v1/metadata", "/prometheus/api/v1/rules",
    "/prometheus/api/v1/alerts",
}
SHOWS_OWN_DATA |= {"/api/v1/receivers", "/api/v1/receivers/{name}"}
SHOWS_OWN_DATA |= {"/api/v1/dashboards", "/api/v1/dashboards/{dashboard_id}", "/api/v1/dashboards/{dashboard_id}/export"}
SHOWS_OWN_DATA |= {"/api/v1/me/preferences"}  # every caller's own, seeded with its tenant's mark
SHOWS_OWN_DATA |= {"/api/v1/escalation-policies", "/api/v1/escalation-policies/{policy_id}", "/api/v1/schedules",
                   "/api/v1/schedules/{schedule_id}", "/api/v1/schedules/{schedule_id}/oncall", "/api/v1/oncall"}
QUERY = {
    "/prometheus/api/v1/query": {"query": '{__name__=~".+"}', "time": str(NOW_MS // 1000)},
    "/prometheus/api/v1/query_range": {"query": '{__name__=~".+"}', "start": str(NOW_MS // 1000 - 600),
                                       "end": str(NOW_MS // 1000), "step": "60"},
    "/prometheus/api/v1/series": {"match[]": '{__name__=~".+"}'},
    "/api/v1/series": {"match[]": '{__name__=~".+"}'},
    "/api/v1/query_range": {"query": '{__name__=~".+"}', "start": str(NOW_MS // 1000 - 600),
                            "end": str(NOW_MS // 1000), "step": "60"},
}
ALERT_LABELS = LabelSet.of({"alertname": "SeedAlert"})  # the same fingerprint in both tenants
SHARED_IDS = {"fingerprint": Alert.new("alpha", "rule-1", ALERT_LABELS).fingerprint, "incident_id": "inc-1", "rule_id": "rule-1", "silence_id": "sil-1", "key": "del-1", "user_id": "usr-1",
              "team_id": "team-1", "key_id": "key-1", "control_id": "OE-NET-01", "run_id": "run-1",
              "step_id": "step-1", "provider": "kc", "tenant_id": "bravo", "runbook_id": "rb-1",
              "letter_id": "pipeline/alerts/0/1", "window_id": "mw-1", "version": "1",
              "policy_id": "pol-1", "schedule_id": "sch-1", "override_id": "ovr-1", "feed_id": "feed-1",
              "token": "t" * 43, "dashboard_id": "dash-1",
              "name": "__name__"}  # a rule group's name, and the label whose values hold each tenant's mark
ALPHA_ONLY_IDS = {**SHARED_IDS, "incident_id": "inc-2", "rule_id": "rule-2", "silence_id": "sil-2", "key": "del-2",
                  "user_id": "usr-2", "team_id": "team-2", "key_id": "key-2", "runbook_id": "rb-2", "window_id": "mw-2",
                  "policy_id": "pol-2", "schedule_id": "sch-2", "override_id": "ovr-2",
                  "dashboard_id": "dash-2", "name": "__name__"}
MARK = {"alpha": "alphamark", "bravo": "bravomark"}


@dataclass(frozen=True)
class Caller:
    name: str
    tenant: str | None
    holds: frozenset[P]  # empty for the anonymous caller
    headers: dict[str, str]
    csrf: str | None = None  # the session's token, for writes


def _seed_tenant(u, tenant: str, suffixes: tuple[str, ...]) -> None:
    mark = MARK[tenant]
    u.tenants.add(Tenant(tenant, f"{tenant.title()} Inc", created_at_ms=NOW_MS))
    for n in suffixes:
        u.rules.add(ThresholdRule(id=f"rule-{n}", tenant=tenant, name=f"{mark}_rule_{n}", selector=f"{mark}_metric",
                                  aggregation="avg", window_ms=60_000, comparison=Comparison.GT, threshold=1.0))
        u.incidents.add(Incident.open(f"inc-{n}", tenant, f"{mark} incident {n}", Severity.SEV2, NOW_MS))
        u.maintenance_windows.add(MaintenanceWindow(
            id=f"mw-{n}", tenant=tenant, name=f"{mark} window", matchers=(Matcher.of("alertname", "=", mark),),
            schedule=Schedule("once", NOW_MS, NOW_MS + 3_600_000), comment=f"{mark} upgrade", created_by="ops"))
        u.silences.add(Silence(f"sil-{n}", tenant, (Matcher.of("alertname", "=", mark),), NOW_MS, NOW_MS + 3_600_000,
                               "ops", f"{mark} silence"))
        u.deliveries.add_if_absent(Delivery(f"del-{n}", tenant, f"{mark}-receiver", "chat", "webhook", "g",
                                            NOW_MS, NOW_MS))
        u.users.add(User(f"usr-{n}", tenant, f"person{n}", f"person{n}@{mark}.example", f"{mark} person",
                         Role.VIEWER, created_at_ms=NOW_MS))
        u.teams.add(Team(f"team-{n}", tenant, f"{mark} team {n}", members=frozenset({f"usr-{n}"})))
        u.api_keys.add(generate_api_key(tenant, f"{mark} key {n}", ["read"], NOW_MS, f"key-{n}",
                                        expires_at_ms=NOW_MS + 86_400_000)[0])
        _seed_oncall(u, tenant, n, mark)
        u.dashboards.add(Dashboard(f"dash-{n}", tenant, f"{mark} dashboard {n}", panels=(
            Panel(f"{mark} panel", (f"rate({mark}_metric[5m])",)),)))
    u.rule_groups.save(RuleGroup(tenant, "__name__", (AlertingRule(f"{mark}_alert", f"{mark}_metric > 0"),)))
    alert = Alert.new(tenant, "rule-1", ALERT_LABELS, {"summary": f"{mark} alert"})
    alert.to_firing(NOW_MS)
    u.alerts.save(alert)
    u.history.add([AlertDecision(tenant, alert.fingerprint, "notify", "delivered", f"{mark} decision", NOW_MS)])
    u.compliance.set_facts(tenant, {"custom.note": mark}, NOW_MS, "seed")
    u.audit.add(Actor.system().entry(tenant, "test.seed", f"{mark} target", NOW_MS))
    # Routing: a receiver named like the shared ids, its channel marked (a log channel: no secret, no network).
    u.routing.add(RoutingItem(tenant, RoutingKind.TREE, ROOT, {"receiver": "__name__"}))
    u.routing.add(RoutingItem(tenant, RoutingKind.RECEIVER, "__name__",
                              {"name": "__name__", "log_configs": [{"name": f"{mark}-log"}]}))
    u.routing.bump(tenant)


def _seed_oncall(u, tenant: str, n: str, mark: str) -> None:
    """A schedule (with an override) and a policy paging it, marked, per suffix."""
    schedule = {"id": f"sch-{n}", "name": f"{mark} schedule {n}", "timezone": "UTC", "layers": [
        {"name": "main", "rotation": {"users": [f"usr-{n}"], "start_ms": 0, "handoff_time": "09:00",
                                      "timezone": "UTC", "length": "weekly"}, "restrictions": []}],
        "overrides": [{"id": f"ovr-{n}", "user": f"usr-{n}", "start_ms": NOW_MS, "end_ms": NOW_MS + 3_600_000}]}
    policy = {"id": f"pol-{n}", "name": f"{mark} policy {n}", "severities": [], "repeat": 0,
              "levels": [{"timeout_ms": 60_000, "targets": [{"kind": "schedule", "ref": f"sch-{n}"}]}]}
    u.oncall.add(OnCallRecord(tenant, "schedule", f"sch-{n}", schedule["name"], schedule, 1, "seed", NOW_MS))
    u.oncall.add(OnCallRecord(tenant, "policy", f"pol-{n}", policy["name"], policy, 1, "seed", NOW_MS))


async def _seed_runbooks(catalogue, alpha_only: bool) -> None:
    """Runbooks live in their own catalogue (not the unit of work): the same ids in both
    tenants, marked, like the rest of the seed."""
    for tenant, suffixes in (("alpha", ("1", "2") if alpha_only else ("1",)), ("bravo", ("1",))):
        for n in suffixes:
            definition = {"id": f"rb-{n}", "name": f"{MARK[tenant]} runbook", "steps": [
                {"id": "restart", "kind": "restart", "params": {"namespace": "prod", "deployment": "web"}}]}
            await catalogue.add(RunbookRecord(tenant, f"rb-{n}", f"{MARK[tenant]} runbook", definition,
                                              updated_by="seed", updated_at_ms=NOW_MS))


def _session(u, tenant: str, username: str, role: Role, holds: frozenset[P] | None = None, *,
             platform: bool = False) -> Caller:
    user = User(f"usr-{username}", tenant, username, f"{username}@example.com", username.title(), role,
                created_at_ms=NOW_MS, platform_admin=platform)
    u.users.add(user)
    session, token, csrf = Session.start(tenant, user.id, "local", NOW_MS, idle_ms=3_600_000, lifetime_ms=86_400_000)
    u.sessions.add(session)
    _seed_preferences(u, tenant, user.id)
    return Caller(f"{tenant} {username} (session)", tenant, user.principal().permissions,
                  {"Cookie": f"oe_session={token}; oe_csrf={csrf}"}, csrf)


def _seed_preferences(u, tenant: str, subject: str) -> None:
    """The caller's own preferences, marked (the same user ids exist in both tenants)."""
    u.preferences.save(UserPreferences(tenant, subject, ui={"note": MARK[tenant]}, version=1, updated_at_ms=NOW_MS), 0)


def _key(u, tenant: str, scope: str) -> Caller:
    key, plaintext = generate_api_key(tenant, f"k-{scope}", [scope], NOW_MS, f"key-{scope}-{tenant}",
                                      expires_at_ms=NOW_MS + 86_400_000)
    u.api_keys.add(key)
    _seed_preferences(u, tenant, key.principal().subject)
    return Caller(f"{tenant} {scope} key", tenant, key.principal().permissions, {"Authorization": f"Bearer {plaintext}"})


def _seed(u, alpha_only: bool) -> list[Caller]:
    _seed_tenant(u, "alpha", ("1", "2") if alpha_only else ("1",))
    _seed_tenant(u, "bravo", ("1",))
    return [
        Caller("anonymous", None, frozenset(), {}),
        _session(u, "alpha", "viewer", Role.VIEWER), _session(u, "alpha", "responder", Role.RESPONDER),
        _session(u, "alpha", "admin", Role.ADMIN),
        *(_key(u, "alpha", scope) for scope in ("ingest", "read", "responder", "admin")),
        _session(u, "bravo", "admin", Role.ADMIN), _key(u, "bravo", "admin"),
        _session(u, "alpha", "operator", Role.ADMIN, platform=True),  # last: it may deactivate tenant bravo
    ]


def _expected(rule: Any, caller: Caller) -> str:
    if rule == ANONYMOUS:
        return "allowed"
    if caller.tenant is None:
        return "401"
    if rule == AUTHENTICATED:
        return "allowed"
    wanted = rule if isinstance(rule, tuple) else (rule,)
    return "allowed" if set(wanted) & caller.holds else "403"


def _routes(app) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in app.openapi()["paths"].items() for method in ops}


@pytest.fixture(scope="module")
def routes(tmp_path_factory) -> set[tuple[str, str]]:
    container = build_container(Settings(data_dir=tmp_path_factory.mktemp("openapi"), agent=False))
    return _routes(build_app(container, with_agent=False))


def test_every_route_of_the_openapi_document_is_in_the_table(routes):
    missing = sorted(routes - ACCESS.keys())
    stale = sorted(ACCESS.keys() - routes)
    assert not missing, f"routes without an entry in ACCESS (declare who may call them): {missing}"
    assert not stale, f"entries in ACCESS for routes that do not exist: {stale}"


def test_every_permission_guards_a_route():
    used = set()
    for rule in ACCESS.values():
        used |= set(rule if isinstance(rule, tuple) else (rule,)) - {ANONYMOUS, AUTHENTICATED}
    assert used == set(P), f"permissions guarding nothing: {sorted(p.value for p in set(P) - used)}"


def _cases() -> Iterator[Any]:
    for method, path in sorted(ACCESS):
        for alpha_only in (False, True):
            if alpha_only and "{" not in path:
                continue
            yield pytest.param(method, path, alpha_only, id=f"{method} {path}{' alpha-only ids' if alpha_only else ''}")


@pytest.mark.parametrize(("method", "path", "alpha_only"), list(_cases()))
async def test_route_answers_each_caller_as_declared_and_never_with_another_tenants_data(
        tmp_path, method, path, alpha_only):
    container = build_container(Settings(data_dir=tmp_path, agent=False, tenant="alpha"))
    container.clock.override(FakeClock(NOW_MS))
    callers = await container.uow().run(lambda u: _seed(u, alpha_only))
    await _seed_runbooks(container.runbook_catalogue(), alpha_only)
    for tenant in ("alpha", "bravo"):
        key = SeriesKey.of(tenant, f"{MARK[tenant]}_metric", {"job": "seed"})
        await container.sample_store().write([SampleBatch(tenant, (SeriesSamples(key, (Sample(NOW_MS - 30_000, 1.0),)),))])
    app = build_app(container, with_agent=False)
    url = path.format(**(ALPHA_ONLY_IDS if alpha_only else SHARED_IDS))
    rule = ACCESS[(method, path)]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://oe.test") as client:
        for caller in callers:
            headers = dict(caller.headers)
            if caller.csrf and method != "GET":
                headers["X-CSRF-Token"] = caller.csrf
            body = None if method in ("GET", "DELETE") and path != "/api/v1/auth/me/totp" else {}
            resp = await client.request(method, url, headers=headers, params=QUERY.get(path), json=body)
            where = f"{caller.name}: {method} {url} -> {resp.status_code} {resp.text[:300]}"
            expected = _expected(rule, caller)
            if expected == "allowed":
                assert resp.status_code not in (401, 403), where
            else:
                assert resp.status_code == int(expected), where
            assert resp.status_code < 500, where
            text = resp.text.lower()
            if caller.tenant is not None:
                other = MARK["bravo" if caller.tenant == "alpha" else "alpha"]
                assert other not in text, f"another tenant's data leaked to {where}"
                own_ids = alpha_only and caller.tenant == "alpha" or not alpha_only
                if expected == "allowed" and method == "GET" and path in SHOWS_OWN_DATA and own_ids:
                    assert MARK[caller.tenant] in text, f"the seeded data is missing: {where}"
            else:
                assert "alphamark" not in text and "bravomark" not in text, where
