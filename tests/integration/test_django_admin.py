"""The operators' admin, end to end: ``observer-eye admin create-superuser`` creates the
first account, ``observer-eye admin`` serves Django's admin (static files included), and
every registered model of the Observer-Eye apps lists and opens with real rows."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from domain.alerts.silences import Recurrence
from domain.identity import AuditEntry, Session, Team, ThrottleState, new_audit_id
from domain.identity.api_keys import generate_api_key
from domain.identity.tenants import Tenant
from ports.oncall_store import CalendarFeed, OnCallRecord
from ports.routing import RoutingItem, RoutingKind
from tests.contract.django_support import ensure_django
from tests.contract.repositories_support import T0, incident, rule, silence

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Ops-" + secrets.token_hex(8)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp: Path, db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "OBSERVER_ADMIN_PASSWORD"}
    return {**env, "OBSERVER_DATABASE_URL": f"sqlite:///{db}", "OBSERVER_DATA_DIR": str(tmp), **extra}


def _admin(tmp: Path, db: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "entrypoints.admin", *args], cwd=ROOT, env=_env(tmp, db, **env),
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)

def _seed(alias: str) -> list[tuple[str, str, object]]:
    """Rows for every admin page; returns (app_label, model_name, pk) of each registered model."""
    from django.contrib import admin

    from adapters.django_orm.alerts.models import Alert as AlertRow
    from adapters.django_orm.catalogue.models import MetricFamily
    from adapters.django_orm.compliance.models import Evaluation
    from adapters.django_orm.identity.models import User
    from adapters.django_orm.incidents.models import Postmortem
    from adapters.django_orm.remediation.models import Runbook
    from adapters.django_orm.unit_of_work import DjangoUnitOfWorkRunner
    from domain.alerts.history import AlertDecision
    from domain.alerts.maintenance import MaintenanceWindow, Schedule
    from domain.dashboards.dashboard import Dashboard, Panel
    from domain.dashboards.preferences import Tile, UserPreferences
    from domain.metrics.matchers import Matcher
    from domain.alerts.state import Alert
    from domain.metrics.labels import LabelSet
    from domain.alerts.rule_groups import AlertingRule, RuleGroup
    from domain.notifications.delivery import Delivery

    def work(u):
        inc = incident()
        inc.acknowledge("alice", T0 + 1)
        u.incidents.add(inc)
        u.rules.add(rule())
        mw = silence("mw-1")
        mw.recurrence = Recurrence("UTC", frozenset({6}), "22:00", 3_600_000)
        u.silences.add(silence())
        u.silences.add(mw)
        u.tenants.add(Tenant("acme", "Acme Corp"))
        u.api_keys.add(generate_api_key("acme", "agent", ["ingest"], T0, "k-1")[0])
        alert = Alert.new("acme", "r-1", LabelSet.of({"alertname": "HighCpu"}))
        alert.to_firing(T0)
        u.alerts.save(alert)
        MetricFamily.objects.using(alias).create(tenant="acme", name="cpu", kind="gauge", unit="ratio")
        Evaluation.objects.using(alias).create(tenant="acme", control_id="CIS-1", status="pass", evaluated_at_ms=T0,
                                               evidence=[{"kind": "fact", "key": "x", "observed": 1, "expected": 1}])
        User.objects.using(alias).create(tenant="acme", user_id="u-1", username="a", email="a@example.com", name="A",
                                         role="admin")
        Postmortem.objects.using(alias).create(tenant="acme", postmortem_id="inc-1.pm1", incident_id="inc-1",
                                               title="Postmortem: disk full", owner="alice", due_at_ms=T0)
        Runbook.objects.using(alias).create(tenant="acme", runbook_id="rb-1", name="Restart web", definition={
            "id": "rb-1", "steps": [{"id": "w", "kind": "wait", "params": {"duration_ms": 1000}}]})
        sent = Delivery("k-1", "acme", "ops", "chat", "slack", "g-1", T0, T0, alerts=(alert.fingerprint,))
        sent.record("sent", T0 + 1, status_code=200)
        u.deliveries.add_if_absent(sent)
        u.compliance.set_facts("acme", {"audit.enabled": True}, T0, "terraform")
        u.history.add([AlertDecision("acme", alert.fingerprint, "notify", "delivered", "sent", T0 + 1, "ops")])
        u.rule_groups.save(RuleGroup("acme", "node", (AlertingRule("InstanceDown", "up == 0", 300_000),)))
        u.teams.add(Team("sre", "acme", "SRE", members=frozenset({"u-1"})))
        u.sessions.add(Session.start("acme", "u-1", "local", T0, idle_ms=3_600_000, lifetime_ms=86_400_000)[0])
        u.login_throttle.save("acme/a", ThrottleState(2, T0), T0 + 3_600_000)
        u.audit.add(AuditEntry(new_audit_id(T0), "acme", T0, "u-1", "user.invite", "user:u-2", before={"a": 1}))
        u.routing.add(RoutingItem("acme", RoutingKind.RECEIVER, "ops", {"name": "ops", "log_configs": [{}]}))
        u.routing.bump("acme")
        u.oncall.add(OnCallRecord("acme", "policy", "pol-1", "Primary", {"id": "pol-1", "name": "Primary", "levels": []}))
        u.oncall.claim_seed("acme", T0)
        u.oncall.add_feed(CalendarFeed("feed-1", "acme", "u-1", "0" * 64, "u-1", T0))
        u.maintenance_windows.add(MaintenanceWindow(
            id="patch", tenant="acme", name="Patch night", matchers=(Matcher.of("env", "=", "prod"),),
            schedule=Schedule("weekly", T0, T0 + 86_400_000, "UTC", frozenset({6}), "22:00", 3_600_000),
            comment="kernel updates", created_by="u-1"))
        u.preferences.save(UserPreferences("acme", "u-1", (Tile("cpu", "cpu", 2, 2),), {"theme": "dark"}, 1, T0), 0)
        u.dashboards.add(Dashboard("hosts", "acme", "Hosts", panels=(Panel("CPU", ("max(cpu)",)),), created_by="u-1"))

    runner = DjangoUnitOfWorkRunner(alias, threads=1)
    runner.run_sync(work)
    runner.close()
    pages = []
    for model in admin.site._registry:
        if model._meta.app_label.startswith("oe_"):
            pk = model.objects.using(alias).values_list("pk", flat=True).first()
            pages.append((model._meta.app_label, model._meta.model_name, pk))
    return pages


def test_operators_sign_in_and_browse_every_model(tmp_path):
    ensure_django()
    from django.db import connections

    from adapters.django_orm import add_database, migrate

    db = tmp_path / "admin.sqlite3"
    add_database("admin_e2e", f"sqlite:///{db}")
    migrate("admin_e2e")
    pages = _seed("admin_e2e")
    connections["admin_e2e"].close()
    assert len(pages) >= 18 and all(pk is not None for *_, pk in pages)

    refused = _admin(tmp_path, db, "create-superuser", "--username", "ops", "--no-input")
    assert refused.returncode == 1 and "OBSERVER_ADMIN_PASSWORD" in refused.stderr
    weak = _admin(tmp_path, db, "create-superuser", "--username", "ops", OBSERVER_ADMIN_PASSWORD="12345678")
    assert weak.returncode == 1 and "password refused" in weak.stderr
    made = _admin(tmp_path, db, "create-superuser", "--username", "ops", "--email", "ops@example.com",
                  OBSERVER_ADMIN_PASSWORD=PASSWORD)
    assert made.returncode == 0 and "created" in made.stdout, made.stderr
    again = _admin(tmp_path, db, "create-superuser", "--username", "other", OBSERVER_ADMIN_PASSWORD=PASSWORD)
    assert again.returncode == 0 and "exists already" in again.stdout

    port = _free_port()
    log = tmp_path / "admin.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "entrypoints.admin", "--port", str(port)], cwd=ROOT,
                                  env=_env(tmp_path, db), stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=10) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    login = client.get("/admin/login/")
                    break
                except httpx.TransportError:
                    assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                    time.sleep(0.2)
            assert login.status_code == 200
            assert client.get("/static/admin/css/base.css").status_code == 200
            assert client.get("/admin/").status_code == 302  # sign-in required

            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
            signed_in = client.post("/admin/login/", data={
                "csrfmiddlewaretoken": token, "username": "ops", "password": PASSWORD, "next": "/admin/"})
            assert signed_in.status_code == 302 and signed_in.headers["location"] == "/admin/"

            for app_label, model_name, pk in pages:
                listing = client.get(f"/admin/{app_label}/{model_name}/")
                assert listing.status_code == 200, (app_label, model_name)
                detail = client.get(f"/admin/{app_label}/{model_name}/{pk}/change/")
                assert detail.status_code == 200, (app_label, model_name, pk)
            assert "HighCpu" in client.get("/admin/oe_alerts/rule/?q=HighCpu").text
            key_pk = next(pk for app_label, model_name, pk in pages if model_name == "apikey")
            assert "secret_hash" not in client.get(f"/admin/oe_identity/apikey/{key_pk}/change/").text
            session_pk = next(pk for app_label, model_name, pk in pages if model_name == "session")
            assert "token_hash" not in client.get(f"/admin/oe_identity/session/{session_pk}/change/").text
    finally:
        server.terminate()
        server.wait(timeout=10)
