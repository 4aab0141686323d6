"""``observer-eye oncall`` in real processes on a SQLite database, as an operator types
it: apply (create, unchanged, update), list, now, delete; every change audited as
``cli:<user>``; a bad document names its field."""

from __future__ import annotations

import getpass
import json

import pytest

from tests.integration.test_identity_cli import cli, ok

pytestmark = pytest.mark.integration

SCHEDULE = {"id": "primary", "name": "Primary", "timezone": "Europe/Berlin",
            "layers": [{"name": "daily", "rotation": {"users": ["ada", "bob"], "start_ms": 1798700400000,
                                                      "handoff_time": "09:00", "timezone": "Europe/Berlin",
                                                      "length": "daily"}}]}
POLICY = {"id": "web", "name": "Web", "severities": ["SEV1"],
          "levels": [{"timeout_ms": 600000, "targets": [{"kind": "schedule", "ref": "primary"}]}]}


def test_an_operator_applies_lists_asks_and_deletes(tmp_path):
    ok(cli(tmp_path, "admin", "migrate", "--verbosity", "0"))
    ok(cli(tmp_path, "tenants", "create", "default", "--name", "Default", "--admin-username", "ada",
           "--admin-email", "ada@example.com", "--admin-name", "Ada"))
    ok(cli(tmp_path, "users", "create", "bob", "--email", "bob@example.com", "--name", "Bob",
           OBSERVER_USER_PASSWORD="bob's long password"))
    schedules, policies = tmp_path / "schedules.json", tmp_path / "policies.yaml"
    schedules.write_text(json.dumps([SCHEDULE]))
    policies.write_text("- " + json.dumps(POLICY))  # YAML: a list of one (JSON is YAML)

    assert "created (version 1)" in ok(cli(tmp_path, "oncall", "schedules", "apply", "-f", str(schedules)))
    assert "created (version 1)" in ok(cli(tmp_path, "oncall", "policies", "apply", "-f", str(policies)))
    assert "unchanged" in ok(cli(tmp_path, "oncall", "schedules", "apply", "-f", str(schedules)))
    schedules.write_text(json.dumps({**SCHEDULE, "name": "Primary (web)"}))
    assert "updated (version 2)" in ok(cli(tmp_path, "oncall", "schedules", "apply", "-f", str(schedules)))
    listing = ok(cli(tmp_path, "oncall", "schedules", "list"))
    assert "Primary (web)" in listing and " 2 " in listing

    now = ok(cli(tmp_path, "oncall", "now", "--at", "2027-03-28T08:00:00+02:00"))
    assert "primary" in now and "2027-03-28T09:00:00+02:00" in now
    mine = ok(cli(tmp_path, "oncall", "now", "--user", "bob", "--at", "2027-03-28T08:00:00+02:00"))
    assert "primary" in mine

    schedules.write_text(json.dumps({**SCHEDULE, "layers": [{"name": "x", "rotation": {"users": ["zed"],
                                                                                        "start_ms": 0}}]}))
    bad = cli(tmp_path, "oncall", "schedules", "apply", "-f", str(schedules))
    assert bad.returncode == 1 and "layers[0].rotation.users[0]" in bad.stderr
    refused = cli(tmp_path, "oncall", "schedules", "delete", "primary")
    assert refused.returncode == 1 and "web" in refused.stderr  # a policy pages it
    ok(cli(tmp_path, "oncall", "policies", "delete", "web"))
    assert "deleted" in ok(cli(tmp_path, "oncall", "schedules", "delete", "primary", "--version", "2"))

    ok(cli(tmp_path, "audit", "export", "--tenant", "default", "--output", str(tmp_path / "audit.jsonl")))
    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    mine = {e["action"] for e in entries if e["actor"] == f"cli:{getpass.getuser()}"}
    assert {"oncall.schedule.create", "oncall.schedule.update", "oncall.policy.delete",
            "oncall.schedule.delete"} <= mine
