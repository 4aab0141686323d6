"""The alerting configuration: Alertmanager-like JSON, a sane default, clear errors."""

from __future__ import annotations

import copy
import json

import pytest

from domain.errors import ValidationError
from domain.metrics.labels import LabelSet
from services.pipeline.config import PAGERDUTY_EVENTS_URL, AlertingConfig, load_alerting_config, parse_duration_ms
from tests.unit.services.pipeline.conftest import CONFIG


def test_the_default_sends_everything_to_a_logging_receiver():
    cfg = AlertingConfig.default()
    [route] = cfg.route.match(LabelSet.of({"alertname": "X"}))
    assert route.receiver == "default" and route.group_by == ("alertname",)
    [channel] = cfg.channels("default")
    assert channel.type == "log" and channel.name == "log-0"
    assert cfg.inhibit_rules == ()


def test_a_full_configuration_parses():
    cfg = AlertingConfig.from_dict(CONFIG)
    [critical] = cfg.route.match(LabelSet.of({"alertname": "X", "severity": "critical"}))
    assert critical.receiver == "pager" and critical.route_id == "root/0"
    assert critical.timing.group_wait_ms == 10_000 and critical.timing.repeat_interval_ms == 3_600_000  # inherited
    hook = cfg.channel("pager", "webhook-0")
    assert hook is not None and hook.settings["secret"] == "s3cret"
    assert "s3cret" not in repr(hook)  # secrets stay out of logs
    [rule] = cfg.inhibit_rules
    assert rule.equal == ("cluster",)


def test_every_channel_type_and_secret_files(tmp_path):
    (tmp_path / "rk").write_text("R0UTINGKEY\n")
    doc = {"route": {"receiver": "all"}, "receivers": [{"name": "all",
        "slack_configs": [{"url": "https://hooks.slack.com/services/T/B/X", "title": "{{ headline }}"}],
        "teams_configs": [{"url": "https://prod.westus.logic.azure.com/workflows/1", "send_resolved": False}],
        "email_configs": [{"to": "ops@example.com", "from": "oe@example.com", "smarthost": "mail.example.com:587"}],
        "pagerduty_configs": [{"routing_key_file": "rk", "name": "pd"}]}]}
    cfg = AlertingConfig.from_dict(doc, base_dir=tmp_path)
    by_name = {c.name: c for c in cfg.channels("all")}
    assert set(by_name) == {"slack-0", "teams-0", "email-0", "pd"}
    assert by_name["pd"].settings == {"routing_key": "R0UTINGKEY", "url": PAGERDUTY_EVENTS_URL}
    assert by_name["email-0"].settings["to"] == ["ops@example.com"]
    assert by_name["teams-0"].send_resolved is False and by_name["slack-0"].title == "{{ headline }}"


def test_load_from_a_file(tmp_path):
    path = tmp_path / "alerting.json"
    path.write_text(json.dumps(CONFIG))
    assert load_alerting_config(path).channel("pager", "webhook-0") is not None
    assert load_alerting_config(None).channels("default")
    with pytest.raises(ValidationError, match="cannot read"):
        load_alerting_config(tmp_path / "missing.json")
    path.write_text("{nope")
    with pytest.raises(ValidationError, match="is not JSON"):
        load_alerting_config(path)


def mutated(change) -> dict:
    doc = copy.deepcopy(CONFIG)
    change(doc)
    return doc


@pytest.mark.parametrize("change, field, message", [
    (lambda d: d.pop("route"), "route", "root route"),
    (lambda d: d.update(recievers=[]), "recievers", "unknown field"),
    (lambda d: d["route"].update(receiver="nobody"), "receivers", "'nobody'"),
    (lambda d: d["route"].update(group_wait="soon"), "route.group_wait", "not a duration"),
    (lambda d: d["route"].update(group_interval="0s"), "route.group_interval", "> 0"),
    (lambda d: d["route"].update(matchers=['a="b"']), "route.matchers", "root route"),
    (lambda d: d["route"]["routes"][0].update(matchers=["severity=critical"]), "route.routes[0].matchers[0]", ""),
    (lambda d: d["route"]["routes"][0].update(group_by=["bad-label"]), "route.routes[0].group_by", "invalid label"),
    (lambda d: d["receivers"][1]["webhook_configs"][0].pop("url"), "receivers[1].webhook_configs[0].url", "needs url"),
    (lambda d: d["receivers"][1]["webhook_configs"][0].update(url="ftp://x"), "receivers[1].webhook_configs[0].url", "http"),
    (lambda d: d["receivers"][1]["webhook_configs"][0].update(secret_file="/x"), "receivers[1].webhook_configs[0].secret", "not both"),
    (lambda d: d["receivers"][1]["webhook_configs"][0].update(colour="red"), "receivers[1].webhook_configs[0].colour", "unknown"),
    (lambda d: d["receivers"].append({"name": "default"}), "receivers[2].name", "twice"),
    (lambda d: d["receivers"][1]["webhook_configs"][0].update(max_alerts="5"), "receivers[1].webhook_configs[0].max_alerts", ">= 0"),
    (lambda d: d["inhibit_rules"][0].pop("target_matchers"), "inhibit_rules[0]", "target_matchers"),
    (lambda d: d["receivers"][0].update(email_configs=[{"to": "a@b", "from": "c@d", "smarthost": "nohost"}]),
     "receivers[0].email_configs[0].smarthost", "host:port"),
])
def test_errors_name_the_field(change, field, message):
    with pytest.raises(ValidationError) as err:
        AlertingConfig.from_dict(mutated(change))
    assert err.value.field == field
    assert message in err.value.message


@pytest.mark.parametrize("text, ms", [("30s", 30_000), ("1h30m", 5_400_000), ("500ms", 500), (90, 90_000), ("1d", 86_400_000)])
def test_durations(text, ms):
    assert parse_duration_ms(text, "x") == ms
