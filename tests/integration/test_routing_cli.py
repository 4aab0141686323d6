"""``observer-eye routing import|export`` against the embedded stack's database."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.integration.test_identity_cli import cli, ok

pytestmark = pytest.mark.integration

AM = """
route:
  receiver: team
  routes:
    - matchers: [severity="critical"]
      receiver: pager
receivers:
  - name: team
    webhook_configs: [{url: "https://hooks.example.com/team-secret"}]
  - name: pager
    pagerduty_configs: [{routing_key: pd-secret-key}]
"""


def test_import_then_export_round_trips_without_secrets(tmp_path: Path) -> None:
    ok(cli(tmp_path, "admin", "migrate", "--verbosity", "0"))
    source = tmp_path / "alertmanager.yml"
    source.write_text(AM + "templates: [x.tmpl]\n")
    refused = cli(tmp_path, "routing", "import", "-f", str(source))
    assert refused.returncode == 1 and "templates" in refused.stderr
    assert "dropped (unsupported): templates" in ok(cli(tmp_path, "routing", "import", "-f", str(source),
                                                        "--drop-unsupported"))
    exported = ok(cli(tmp_path, "routing", "export"))
    assert "team-secret" not in exported and "pd-secret-key" not in exported
    doc = yaml.safe_load(exported)
    assert doc["route"]["routes"][0]["receiver"] == "pager"
    assert [r["name"] for r in doc["receivers"]] == ["pager", "team"]
    stale = cli(tmp_path, "routing", "import", "-f", str(source), "--drop-unsupported", "--revision", "1")
    assert stale.returncode == 1 and "revision" in stale.stderr
    again = tmp_path / "again.yml"
    again.write_text(exported)
    assert "routing revision 3" in ok(cli(tmp_path, "routing", "import", "-f", str(again)))
