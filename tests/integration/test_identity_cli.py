"""``observer-eye users|teams|keys|tenants|audit`` in real processes on a SQLite database,
as an operator types them: every change lands, and in the audit log as ``cli:<user>``."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVER_")}
    return subprocess.run([sys.executable, "-m", "entrypoints.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL,
                          env=base | {"OBSERVER_DATA_DIR": str(tmp_path / "var"), **env})


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_an_operator_manages_tenants_users_teams_keys_and_reads_the_audit_log(tmp_path):
    assert "migrations are not applied" in cli(tmp_path, "users", "list").stderr
    ok(cli(tmp_path, "admin", "migrate", "--verbosity", "0"))
    assert "no tenant 'default'" in cli(tmp_path, "users", "invite", "x", "--email", "x@y.io", "--name", "X").stderr

    created = ok(cli(tmp_path, "tenants", "create", "acme", "--name", "Acme", "--admin-username", "bob",
                     "--admin-email", "bob@acme.com", "--admin-name", "Bob")).splitlines()
    assert created[1].startswith("oe_") and "invited" in created[2]

    weak = cli(tmp_path, "users", "create", "ada", "--email", "ada@acme.com", "--name", "Ada", "--tenant", "acme",
               OBSERVER_USER_PASSWORD="short")
    assert weak.returncode == 2 and "password" in weak.stderr
    ok(cli(tmp_path, "users", "create", "ada", "--email", "ada@acme.com", "--name", "Ada", "--role", "responder",
           "--tenant", "acme", OBSERVER_USER_PASSWORD="ada's long password"))
    assert "ada" in ok(cli(tmp_path, "users", "list", "--tenant", "acme", "--status", "active"))
    assert json.loads(ok(cli(tmp_path, "users", "set-role", "ada", "viewer", "--tenant", "acme")))["role"] == "viewer"

    secret = ok(cli(tmp_path, "keys", "create", "grafana", "--scope", "read", "--owner", "ada", "--tenant", "acme"))
    assert secret.strip().startswith("oe_")
    listing = ok(cli(tmp_path, "keys", "list", "--tenant", "acme"))
    assert "grafana" in listing and secret.strip() not in listing
    key_id = next(line.split()[0] for line in listing.splitlines() if "grafana" in line)
    rotated = cli(tmp_path, "keys", "rotate", key_id, "--tenant", "acme")
    assert ok(rotated).strip().startswith("oe_")
    new_id = rotated.stderr.split()[1]  # "key <id> (grafana); the secret, shown once:"
    assert new_id != key_id and "revoked" in ok(cli(tmp_path, "keys", "revoke", new_id, "--tenant", "acme"))
    beyond = cli(tmp_path, "keys", "create", "x", "--scope", "admin", "--owner", "ada", "--tenant", "acme")
    assert beyond.returncode == 1 and "does not allow" in beyond.stderr

    ok(cli(tmp_path, "teams", "create", "sre", "--name", "SRE", "--member", "ada", "--tenant", "acme"))
    assert len(json.loads(ok(cli(tmp_path, "teams", "add-member", "sre", "bob", "--tenant", "acme")))["members"]) == 2
    assert "no user 'nobody'" in cli(tmp_path, "teams", "add-member", "sre", "nobody", "--tenant", "acme").stderr

    ok(cli(tmp_path, "audit", "export", "--tenant", "acme", "--output", str(tmp_path / "audit.jsonl")))
    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    actions = {e["action"] for e in entries}
    assert {"tenant.create", "user.invite", "user.create", "user.set_role", "api_key.create", "api_key.rotate",
            "api_key.revoke", "team.create", "team.update"} <= actions
    assert {e["actor"] for e in entries} == {f"cli:{getpass.getuser()}"}
    assert "user.set_role" in ok(cli(tmp_path, "audit", "list", "--tenant", "acme", "--action", "user.*"))
    unset = cli(tmp_path, "users", "create", "eve", "--email", "eve@acme.com", "--name", "Eve", "--tenant", "acme")
    assert unset.returncode != 0 and "OBSERVER_USER_PASSWORD" in unset.stderr + unset.stdout  # never an argument
    assert "365 days" in cli(tmp_path, "audit", "purge", "--older-than-days", "30").stderr

    assert json.loads(ok(cli(tmp_path, "tenants", "deactivate", "acme")))["status"] == "deactivated"
    assert json.loads(ok(cli(tmp_path, "tenants", "reactivate", "acme")))["status"] == "active"
    memory = cli(tmp_path, "users", "list", OBSERVER_REPOSITORY="memory")
    assert memory.returncode != 0 and "need a database" in memory.stderr
