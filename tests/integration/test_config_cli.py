"""``observer-eye rules list|get|apply|enable|disable|delete|dry-run`` and ``observer-eye
windows list|create|delete`` in real processes on a SQLite database: each change lands,
with its version, and in the audit log as ``cli:<user>``."""

from __future__ import annotations

import getpass
import json

import pytest

from tests.integration.test_identity_cli import cli, ok

pytestmark = pytest.mark.integration

RULES = """
rules:
- id: cpu-high
  name: HighCpu
  group: hosts
  selector: cpu{env="prod"}
  aggregation: avg
  window: 5m
  op: ">"
  threshold: 0.9
  for: 5m
- type: absence
  name: NoHeartbeat
  group: hosts
  selector: up
  absent_for: 10m
"""


def test_an_operator_manages_alert_rules_and_maintenance_windows(tmp_path):
    ok(cli(tmp_path, "admin", "migrate", "--verbosity", "0"))
    ok(cli(tmp_path, "tenants", "create", "acme", "--name", "Acme", "--admin-username", "bob",
           "--admin-email", "bob@acme.com", "--admin-name", "Bob"))
    file = tmp_path / "rules.yaml"
    file.write_text(RULES)
    applied = ok(cli(tmp_path, "rules", "apply", "-f", str(file), "--tenant", "acme")).splitlines()
    assert applied[0] == "created cpu-high (HighCpu, version 1)" and applied[1].startswith("created rule-")
    again = ok(cli(tmp_path, "rules", "apply", "-f", str(file), "--tenant", "acme")).splitlines()
    assert all(line.startswith("unchanged") for line in again)  # by id, and by group and name
    file.write_text(RULES.replace("threshold: 0.9", "threshold: 0.8"))
    assert "updated cpu-high (HighCpu, version 2)" in ok(cli(tmp_path, "rules", "apply", "-f", str(file),
                                                             "--tenant", "acme"))
    bad = tmp_path / "bad.yaml"
    bad.write_text(RULES.replace("window: 5m", "window: soon"))
    refused = cli(tmp_path, "rules", "apply", "-f", str(bad), "--tenant", "acme")
    assert refused.returncode == 2 and "rules[0].window" in refused.stderr

    listed = ok(cli(tmp_path, "rules", "list", "--tenant", "acme", "--type", "threshold"))
    assert "cpu-high" in listed and "NoHeartbeat" not in listed
    rule = json.loads(ok(cli(tmp_path, "rules", "get", "cpu-high", "--tenant", "acme")))
    assert (rule["threshold"], rule["version"], rule["group"]) == (0.8, 2, "hosts")
    assert "disabled cpu-high (version 3)" in ok(cli(tmp_path, "rules", "disable", "cpu-high", "--tenant", "acme"))
    stale = cli(tmp_path, "rules", "enable", "cpu-high", "--version", "2", "--tenant", "acme")
    assert stale.returncode == 1 and "version 3" in stale.stderr
    assert "cpu-high" in ok(cli(tmp_path, "rules", "list", "--disabled", "--tenant", "acme"))
    dry = ok(cli(tmp_path, "rules", "dry-run", "cpu-high", "--range", "1h", "--tenant", "acme"))
    assert "would not have fired" in dry and "0 series" in dry
    ok(cli(tmp_path, "rules", "delete", "cpu-high", "--tenant", "acme"))
    assert "no rule 'cpu-high'" in cli(tmp_path, "rules", "get", "cpu-high", "--tenant", "acme").stderr

    created = ok(cli(tmp_path, "windows", "create", "--id", "patch", "--name", "Patch night", "--match", "env=prod",
                     "--match", "team=~db|web", "--comment", "kernel updates", "--starts", "2026-01-01T00:00:00Z",
                     "--ends", "2026-06-01T00:00:00Z", "--timezone", "Europe/Berlin", "--weekdays", "5,6",
                     "--start-time", "22:00", "--duration", "4h", "--tenant", "acme"))
    assert created.startswith("created patch (Patch night,")
    assert "team=~db|web" in ok(cli(tmp_path, "windows", "list", "--tenant", "acme"))
    no_why = cli(tmp_path, "windows", "create", "--name", "x", "--match", "a=b", "--comment", " ", "--starts",
                 "2026-01-01T00:00:00Z", "--ends", "2026-01-01T01:00:00Z", "--tenant", "acme")
    assert no_why.returncode == 2 and "comment" in no_why.stderr
    ok(cli(tmp_path, "windows", "delete", "patch", "--tenant", "acme"))
    assert "patch" not in ok(cli(tmp_path, "windows", "list", "--tenant", "acme"))

    audit = ok(cli(tmp_path, "audit", "list", "--tenant", "acme", "--action", "rule.*"))
    assert audit.count(f"cli:{getpass.getuser()}") >= 5
    assert "maintenance_window.delete" in ok(cli(tmp_path, "audit", "list", "--tenant", "acme",
                                                 "--action", "maintenance_window.*"))
