"""Alertmanager's YAML in and out (services/routing/alertmanager.py), by property: any
configuration we can express survives export → YAML → import unchanged; the import
never fails with anything but a problem naming a field; Alertmanager's older forms
(match, match_re, global defaults, mute_time_intervals) become today's."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import ValidationError
from services.pipeline.config import AlertingConfig
from services.routing.alertmanager import export_yaml, from_alertmanager, parse_yaml, to_alertmanager
from services.routing.documents import build_config

names = st.from_regex(r"[a-z][a-z0-9_-]{0,12}", fullmatch=True)
labels = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
values = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8)
durations = st.sampled_from(["10s", "30s", "1m", "5m", "1h", "4h", "1h30m"])


@st.composite
def matchers(draw) -> list[str]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        op = draw(st.sampled_from(["=", "!=", "=~", "!~"]))
        value = draw(values) if op in ("=", "!=") else draw(st.sampled_from(["a.*", "b|c", ".+"]))
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        out.append(f'{draw(labels)}{op}"{escaped}"')
    return out


@st.composite
def routes(draw, receivers: list[str], intervals: list[str], depth: int = 0, root: bool = False) -> dict:
    route: dict = {}
    if root or draw(st.booleans()):
        route["receiver"] = draw(st.sampled_from(receivers))
    if not root:
        m = draw(matchers())
        if m:
            route["matchers"] = m
        if draw(st.booleans()):
            route["continue"] = True
        if intervals and draw(st.booleans()):
            route["mute_time_intervals"] = draw(st.lists(st.sampled_from(intervals), min_size=1, max_size=2, unique=True))
        if intervals and draw(st.booleans()):
            route["active_time_intervals"] = [draw(st.sampled_from(intervals))]
    if draw(st.booleans()):
        route["group_by"] = draw(st.lists(labels, min_size=1, max_size=3, unique=True))
    for key in ("group_wait", "group_interval", "repeat_interval"):
        if draw(st.booleans()):
            route[key] = draw(durations)
    if depth < 2:
        children = draw(st.lists(routes(receivers, intervals, depth + 1), max_size=2))
        if children:
            route["routes"] = children
    return route


def channel(kind: str, draw) -> dict:
    url = "https://" + draw(st.from_regex(r"[a-z]{1,8}\.example\.com/[a-z0-9]{0,10}", fullmatch=True))
    base: dict = {}
    if draw(st.booleans()):
        base["send_resolved"] = draw(st.booleans())
    if kind == "webhook":
        base |= {"url": url} | ({"max_alerts": draw(st.integers(0, 50))} if draw(st.booleans()) else {})
    elif kind == "slack":
        base |= {"url": url, "channel": "#" + draw(names)} | ({"title": draw(values)} if draw(st.booleans()) else {})
    elif kind == "teams":
        base |= {"url": url} | ({"text": draw(values)} if draw(st.booleans()) else {})
    elif kind == "email":
        base |= {"to": [f"{draw(names)}@example.com" for _ in range(draw(st.integers(1, 2)))], "from": "oe@example.com",
                 "smarthost": "smtp.example.com:587", "username": draw(names), "password": draw(names)}
        if draw(st.booleans()):
            base["title"] = draw(values)
        if draw(st.booleans()):
            base["starttls"] = draw(st.booleans())
        if draw(st.booleans()):
            base["tls_insecure_skip_verify"] = draw(st.booleans())
    else:
        base |= {"routing_key": draw(names), "severity": draw(st.sampled_from(["critical", "warning"]))}
        if draw(st.booleans()):
            base["title"] = draw(values)
    return base


@st.composite
def documents(draw) -> dict:
    receiver_names = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    receivers = []
    for name in receiver_names:
        r: dict = {"name": name}
        for kind in draw(st.lists(st.sampled_from(["webhook", "slack", "teams", "email", "pagerduty"]), max_size=3, unique=True)):
            r[f"{kind}_configs"] = [channel(kind, draw) for _ in range(draw(st.integers(1, 2)))]
        receivers.append(r)
    interval_names = draw(st.lists(names, max_size=2, unique=True))
    intervals = [{"name": n, "time_intervals": [{"weekdays": ["monday:friday"], "times": [
        {"start_time": "09:00", "end_time": "17:30"}]}, {"days_of_month": ["1:5", "-3:-1"], "months": ["december"],
                                                         "location": "Europe/Berlin"}]} for n in interval_names]
    rules = [{"source_matchers": draw(matchers()) or ['severity="critical"'],
              "target_matchers": draw(matchers()) or ['severity="warning"'],
              "equal": draw(st.lists(labels, max_size=2, unique=True))} for _ in range(draw(st.integers(0, 2)))]
    return {"route": draw(routes(receiver_names, interval_names, root=True)), "receivers": receivers,
            "inhibit_rules": rules, "time_intervals": intervals}


def _canonical(doc: dict) -> dict:
    """What the round trip may change without meaning: empty lists, an empty 'equal'."""
    out = {k: v for k, v in doc.items() if v not in ([], None)}
    out["inhibit_rules"] = [{k: v for k, v in r.items() if v} for r in doc.get("inhibit_rules", [])]
    return out


@settings(max_examples=60, deadline=None)
@given(documents())
def test_what_we_can_express_survives_export_and_import(doc) -> None:
    build_config(doc)  # the generator makes valid configurations
    back, dropped = from_alertmanager(parse_yaml(export_yaml(doc, 7)))
    assert dropped == []
    assert _canonical(back) == _canonical(doc)
    assert build_config(back) == build_config(doc)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                        st.sampled_from(["route", "receivers", "receiver", "routes", "match", "global", "name",
                                         "webhook_configs", "url", "email_configs", "to", "headers", "inhibit_rules",
                                         "time_intervals", "x"]), inner, max_size=4), max_leaves=20),
       st.booleans())
def test_any_document_is_imported_or_refused_with_a_field(doc, drop) -> None:
    try:
        converted, _ = from_alertmanager(doc, drop_unsupported=drop)
        AlertingConfig.from_dict({**converted, "inhibit_rules": converted["inhibit_rules"]})
    except ValidationError:
        pass


def test_older_forms_and_global_defaults_become_todays() -> None:
    text = """
global:
  smtp_from: alerts@example.com
  smtp_smarthost: smtp.example.com:587
  smtp_auth_password: pw
  slack_api_url: https://hooks.slack.com/services/T/B/X
route:
  receiver: team
  routes:
    - match: {service: db}
      match_re: {severity: "crit.*"}
      receiver: mail
      mute_time_intervals: [nights]
receivers:
  - name: team
    slack_configs: [{channel: "#ops"}]
  - name: mail
    email_configs: [{to: "a@example.com, b@example.com", headers: {Subject: "Alert!", X-Team: db}}]
inhibit_rules:
  - source_match: {severity: critical}
    target_match_re: {severity: "warn.*"}
    equal: [alertname]
mute_time_intervals:
  - name: nights
    time_intervals: [{times: [{start_time: "00:00", end_time: "06:00"}]}]
"""
    doc, dropped = from_alertmanager(parse_yaml(text))
    assert dropped == []
    assert doc["route"]["routes"][0]["matchers"] == ['service="db"', 'severity=~"crit.*"']
    assert doc["receivers"][0]["slack_configs"] == [{"channel": "#ops", "url": "https://hooks.slack.com/services/T/B/X"}]
    assert doc["receivers"][1]["email_configs"] == [{"to": ["a@example.com", "b@example.com"], "from": "alerts@example.com",
                                                     "smarthost": "smtp.example.com:587", "password": "pw",
                                                     "title": "Alert!", "headers": {"X-Team": "db"}}]
    assert doc["inhibit_rules"][0]["target_matchers"] == ['severity=~"warn.*"']
    config = build_config(doc)
    assert config.time_intervals["nights"].ranges[0].times == ((0, 360),)


def test_log_channels_are_said_to_be_left_out_of_the_export() -> None:
    doc = {"route": {"receiver": "default"}, "receivers": [{"name": "default", "log_configs": [{}]}]}
    am, notes = to_alertmanager(doc)
    assert am["receivers"] == [{"name": "default"}] and "log channel" in notes[0]
    assert "log channel" in export_yaml(doc, 1).splitlines()[2]
    assert yaml.safe_load(export_yaml(doc, 1)) == am
