"""The Django adapter's migrations: they apply from an empty database on SQLite and on
PostgreSQL through the operators' command, reverse cleanly, and match the models
(``makemigrations --check`` finds nothing to do)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from adapters.django_orm.config import CONTEXT_APPS
from tests.contract.django_support import create_database, drop_database, ensure_django

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
LABELS = [f"oe_{app}" for app in CONTEXT_APPS]
EXPECTED_TABLES = {
    "oe_alerts_rule", "oe_alerts_alert", "oe_alerts_silence", "oe_incidents_incident", "oe_incidents_timelineentry",
    "oe_identity_tenant", "oe_identity_user", "oe_identity_apikey", "oe_identity_team", "oe_identity_teammember",
    "oe_identity_externalaccount", "oe_identity_session", "oe_identity_onetimetoken", "oe_identity_loginthrottle",
    "oe_identity_auditentry", "oe_compliance_evaluation", "oe_compliance_fact",
    "oe_notifications_delivery", "oe_alerts_alertdecision", "oe_catalogue_metricfamily", "oe_incidents_postmortem",
    "oe_dashboards_userpreferences", "oe_dashboards_dashboard", "auth_user", "django_session",
}


def admin_command(tmp_path: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``observer-eye admin <args>`` in a fresh process (what operators and `make run` do)."""
    env = {**os.environ, "OBSERVER_DATABASE_URL": database_url, "OBSERVER_DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.admin", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )


def applied_migrations(rows: list[tuple[str, str]]) -> set[str]:
    return {f"{app}.{name}" for app, name in rows}


def test_migrations_apply_from_empty_on_sqlite(tmp_path):
    db = tmp_path / "empty.sqlite3"
    result = admin_command(tmp_path, f"sqlite:///{db}", "migrate", "--verbosity", "0")
    assert result.returncode == 0, result.stderr

    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        applied = applied_migrations(conn.execute("SELECT app, name FROM django_migrations").fetchall())
    assert EXPECTED_TABLES <= tables
    assert {f"{label}.0001_initial" for label in LABELS} <= applied


def test_migrations_apply_from_empty_on_postgresql(tmp_path):
    url = create_database("observer_eye_migrate")
    try:
        result = admin_command(tmp_path, url, "migrate", "--verbosity", "0")
        assert result.returncode == 0, result.stderr
        with psycopg.connect(url) as conn:
            tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
            applied = applied_migrations(conn.execute("SELECT app, name FROM django_migrations").fetchall())
        assert EXPECTED_TABLES <= tables
        assert {f"{label}.0001_initial" for label in LABELS} <= applied
    finally:
        drop_database(url)


def test_makemigrations_check_finds_nothing_to_do(tmp_path):
    result = admin_command(tmp_path, f"sqlite:///{tmp_path / 'check.sqlite3'}", "manage", "makemigrations",
                           "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


@pytest.mark.parametrize("alias", ["sqlite", "postgres"])
def test_migrations_reverse_to_zero_and_apply_again(alias):
    """Every context app migrates back to zero (dropping its tables) and forward again."""
    ensure_django()
    from django.core.management import call_command
    from django.db import connections

    from adapters.django_orm import pending_migrations

    try:
        for label in reversed(LABELS):
            call_command("migrate", label, "zero", database=alias, verbosity=0)
        tables = set(connections[alias].introspection.table_names())
        assert not {t for t in tables if t.startswith("oe_")}
        assert {f"{label}.0001_initial" for label in LABELS} <= set(pending_migrations(alias))
    finally:
        call_command("migrate", database=alias, verbosity=0)
        connections[alias].close()
    assert pending_migrations(alias) == []
