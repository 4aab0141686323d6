"""What we export as ``alertmanager.yml`` passes the real ``amtool check-config``
(Debian's Alertmanager 0.25), for a hand-written configuration using every feature and
for generated ones; and a typical ``alertmanager.yml`` amtool accepts imports whole.

Alertmanager 0.25 has no ``msteams_configs`` (0.26 added it): the generated
configurations leave Teams channels out for this check only; the unit tests cover their
round trip."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from services.routing.alertmanager import export_yaml, from_alertmanager, parse_yaml
from services.routing.documents import build_config
from services.routing.resources import _url_placeholders
from services.routing.secrets import redact
from tests.support.prometheus_server import binary
from tests.unit.services.routing.test_alertmanager import documents

pytestmark = pytest.mark.integration

EVERYTHING = {
    "route": {"receiver": "ops", "group_by": ["alertname", "cluster"], "group_wait": 30, "group_interval": "5m",
              "repeat_interval": "4h",
              "routes": [{"matchers": ['severity="critical"', 'team=~"db|web"'], "receiver": "pager", "continue": True,
                          "mute_time_intervals": ["nights"]},
                         {"matchers": ['team="db"'], "receiver": "mail", "active_time_intervals": ["business-hours"],
                          "routes": [{"matchers": ['env!="prod"'], "receiver": "ops", "group_by": ["..."]}]}]},
    "receivers": [
        {"name": "ops", "webhook_configs": [{"url": "https://hooks.example.com/a", "secret": "k", "max_alerts": 10}],
         "slack_configs": [{"url": "https://hooks.slack.com/services/T/B/C", "channel": "#ops", "title": "{{ alertname }}"}],
         "log_configs": [{}]},
        {"name": "pager", "pagerduty_configs": [{"routing_key": "R0UT1NGKEY", "severity": "critical", "title": "page"}]},
        {"name": "mail", "email_configs": [{"to": ["a@example.com", "b@example.com"], "from": "oe@example.com",
                                            "smarthost": "smtp.example.com:587", "username": "oe", "password": "pw",
                                            "starttls": True, "title": "alert", "tls_insecure_skip_verify": False}]},
    ],
    "inhibit_rules": [{"name": "crit", "source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
                       "equal": ["alertname", "cluster"]}],
    "time_intervals": [
        {"name": "nights", "time_intervals": [{"times": [{"start_time": "22:00", "end_time": "24:00"}]},
                                              {"times": [{"start_time": "00:00", "end_time": "06:00"}]}]},
        {"name": "business-hours", "time_intervals": [{"weekdays": ["monday:friday"], "days_of_month": ["1:31", "-3:-1"],
                                                       "months": ["january:december"], "years": ["2026:2030"],
                                                       "times": [{"start_time": "09:00", "end_time": "17:00"}],
                                                       "location": "Europe/Berlin"}]},
    ],
}


def amtool(text: str) -> tuple[bool, str]:
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        f.write(text)
    try:
        done = subprocess.run([binary("amtool"), "check-config", f.name], capture_output=True, text=True, timeout=60)
    finally:
        Path(f.name).unlink()
    return done.returncode == 0, done.stdout + done.stderr


def exported(doc: dict) -> str:
    """As the API exports it: secrets redacted, URLs as a URL placeholder."""
    shown = {**doc, "receivers": [redact(r) for r in doc["receivers"]]}
    return export_yaml(_url_placeholders(shown), 3)


def test_the_export_of_every_feature_passes_amtool_and_imports_back() -> None:
    build_config(EVERYTHING)
    text = exported(EVERYTHING)
    ok, output = amtool(text)
    assert ok, output + text
    back, dropped = from_alertmanager(parse_yaml(text))
    assert dropped == [] and [r["name"] for r in back["receivers"]] == ["ops", "pager", "mail"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_generated_exports_pass_amtool(doc) -> None:
    for r in doc["receivers"]:
        r.pop("teams_configs", None)
    ok, output = amtool(exported(doc))
    assert ok, output


def test_a_typical_alertmanager_yml_that_amtool_accepts_imports() -> None:
    text = """
global:
  resolve_timeout: 5m
  slack_api_url: https://hooks.slack.com/services/T00/B00/XXX
route:
  receiver: team-x
  group_by: [alertname, cluster, service]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 3h
  routes:
    - matchers: [service=~"foo1|foo2|baz"]
      receiver: team-x
      routes:
        - matchers: [severity="critical"]
          receiver: team-x-pager
    - match: {service: database}
      receiver: team-db-pager
      group_by: [alertname, cluster, database]
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname, cluster, service]
receivers:
  - name: team-x
    slack_configs: [{channel: "#alerts"}]
  - name: team-x-pager
    pagerduty_configs: [{routing_key: abc123}]
  - name: team-db-pager
    webhook_configs: [{url: "https://db.example.com/hook", send_resolved: false}]
"""
    ok, output = amtool(text)
    assert ok, output
    from domain.errors import BatchRejected

    with pytest.raises(BatchRejected) as refused:
        from_alertmanager(parse_yaml(text))
    assert [e.field for e in refused.value.errors] == ["global.resolve_timeout"]
    doc, dropped = from_alertmanager(parse_yaml(text), drop_unsupported=True)
    assert dropped == ["global.resolve_timeout"]
    config = build_config(doc)
    assert config.channel("team-x", "slack-0").settings["url"] == "https://hooks.slack.com/services/T00/B00/XXX"
    assert config.route.routes[1].matchers[0].value == "database"
