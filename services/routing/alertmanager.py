"""Alertmanager's configuration (``alertmanager.yml``) in and out: a team brings its
``route``, ``receivers``, ``inhibit_rules`` and ``time_intervals`` and gets them back.

What maps (Alertmanager ↔ ours), per receiver channel type:

* ``webhook_configs``: ``url``, ``max_alerts``, ``send_resolved`` (our signing
  ``secret`` has no Alertmanager field: left out of the export, kept on re-import);
* ``slack_configs``: ``api_url`` ↔ ``url``, ``channel``, ``username``, ``icon_emoji``,
  ``title``, ``text``, ``send_resolved``;
* ``msteams_configs``: ``webhook_url`` ↔ ``url``, ``title``, ``text``, ``send_resolved``;
* ``email_configs``: ``to`` (comma-separated ↔ a list), ``from``, ``smarthost``,
  ``auth_username``/``auth_password`` ↔ ``username``/``password``, ``require_tls`` ↔
  ``starttls``, ``headers`` (``Subject`` ↔ ``title``), ``text``,
  ``tls_config.insecure_skip_verify``, ``send_resolved``;
* ``pagerduty_configs``: ``routing_key``, ``url``, ``severity``, ``source``, ``client``,
  ``client_url``, ``description`` ↔ ``title``, ``send_resolved``;
* ``global``: ``smtp_from``, ``smtp_smarthost``, ``smtp_auth_username``,
  ``smtp_auth_password``, ``smtp_require_tls``, ``slack_api_url``, ``pagerduty_url``
  fill the channels that leave them out (the export writes them into each channel);
* routes (``match``/``match_re`` become ``matchers``), inhibit rules
  (``source_match``… likewise), ``time_intervals`` and the older ``mute_time_intervals``.

Everything else (``templates``, ``http_config``, ``*_file`` fields, other channel
types ...) is *unsupported*: an import names every such field in one problem, unless
the caller asks to drop them, and then the answer lists what was dropped. Our log
channel has no Alertmanager form: a receiver's log channels are left out of the export
(said in a comment at the top). Secrets are exported as placeholders that an import
reads as "keep the stored one" (``services/routing/secrets.py``).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

import yaml

from domain.errors import BatchRejected, ValidationError
from services.pipeline.config import parse_duration_ms

_CHANNELS = {  # Alertmanager list -> (our type, {AM field: our field})
    "webhook_configs": ("webhook", {"url": "url", "max_alerts": "max_alerts", "send_resolved": "send_resolved"}),
    "slack_configs": ("slack", {"api_url": "url", "channel": "channel", "username": "username", "icon_emoji": "icon_emoji",
                                "title": "title", "text": "text", "send_resolved": "send_resolved"}),
    "msteams_configs": ("teams", {"webhook_url": "url", "title": "title", "text": "text", "send_resolved": "send_resolved"}),
    "email_configs": ("email", {"to": "to", "from": "from", "smarthost": "smarthost", "auth_username": "username",
                                "auth_password": "password", "require_tls": "starttls", "headers": "headers",
                                "text": "text", "send_resolved": "send_resolved", "tls_config": "tls_config"}),
    "pagerduty_configs": ("pagerduty", {"routing_key": "routing_key", "url": "url", "severity": "severity",
                                        "source": "source", "client": "client", "client_url": "client_url",
                                        "description": "title", "send_resolved": "send_resolved"}),
}
_OURS = {ours: (am_list, {v: k for k, v in fields.items()}) for am_list, (ours, fields) in _CHANNELS.items()}
_GLOBAL_DEFAULTS = {  # global field -> (our type, our field)
    "smtp_from": ("email", "from"), "smtp_smarthost": ("email", "smarthost"), "smtp_auth_username": ("email", "username"),
    "smtp_auth_password": ("email", "password"), "smtp_require_tls": ("email", "starttls"),
    "slack_api_url": ("slack", "url"), "pagerduty_url": ("pagerduty", "url"),
}
_ROUTE = {"receiver", "group_by", "continue", "matchers", "match", "match_re", "group_wait", "group_interval",
          "repeat_interval", "mute_time_intervals", "active_time_intervals", "routes"}
_INHIBIT = {"source_matchers", "target_matchers", "equal", "source_match", "source_match_re", "target_match",
            "target_match_re"}
_TOP = {"global", "route", "receivers", "inhibit_rules", "time_intervals", "mute_time_intervals"}
_ONE_LINE = re.compile(r"[\r\n]+")
_LABEL_VALUE_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n"})


# ------------------------------------------------------------------------------ import


class _Import:
    def __init__(self) -> None:
        self.unsupported: list[str] = []

    def _mapping(self, value: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise ValidationError("must be a mapping", field=where or None)
        return value

    def _list(self, value: Any, where: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValidationError("must be a list", field=where)
        return value

    def _keep(self, doc: Mapping[str, Any], allowed: set[str], where: str) -> None:
        prefix = f"{where}." if where else ""
        self.unsupported += [prefix + str(k) for k in doc if k not in allowed]

    @staticmethod
    def _equality(pairs: Any, op: str, where: str) -> list[str]:
        if not isinstance(pairs, Mapping):
            raise ValidationError("must be a mapping of label names to values", field=where)
        return [f'{k}{op}"{str(v).translate(_LABEL_VALUE_ESCAPES)}"' for k, v in pairs.items()]

    def route(self, doc: Any, where: str) -> dict[str, Any]:
        doc = self._mapping(doc, where)
        self._keep(doc, _ROUTE, where)
        out: dict[str, Any] = {}
        for key in ("receiver", "group_by", "continue", "group_wait", "group_interval", "repeat_interval",
                    "mute_time_intervals", "active_time_intervals"):
            if doc.get(key) is not None:
                out[key] = copy.deepcopy(doc[key])
        matchers = list(self._list(doc.get("matchers"), f"{where}.matchers"))
        matchers += self._equality(doc.get("match") or {}, "=", f"{where}.match")
        matchers += self._equality(doc.get("match_re") or {}, "=~", f"{where}.match_re")
        if matchers:
            out["matchers"] = matchers
        children = self._list(doc.get("routes"), f"{where}.routes")
        if children:
            out["routes"] = [self.route(c, f"{where}.routes[{i}]") for i, c in enumerate(children)]
        return out

    def receiver(self, doc: Any, where: str, defaults: Mapping[tuple[str, str], Any]) -> dict[str, Any]:
        doc = self._mapping(doc, where)
        self._keep(doc, {"name"} | set(_CHANNELS), where)
        out: dict[str, Any] = {"name": doc.get("name")}
        for am_list, (ours, fields) in _CHANNELS.items():
            items = self._list(doc.get(am_list), f"{where}.{am_list}")
            if not items:
                continue
            converted = []
            for i, channel in enumerate(items):
                at = f"{where}.{am_list}[{i}]"
                channel = self._mapping(channel, at)
                self._keep(channel, set(fields), at)
                mine: dict[str, Any] = {}
                for am_field, our_field in fields.items():
                    if channel.get(am_field) is not None:
                        mine[our_field] = copy.deepcopy(channel[am_field])
                for (kind, field), value in defaults.items():
                    if kind == ours and field not in mine:
                        mine[field] = value
                if ours == "email":
                    self._email(mine, at)
                converted.append(mine)
            out[f"{ours}_configs"] = converted
        return out

    def _email(self, mine: dict[str, Any], at: str) -> None:
        if isinstance(mine.get("to"), str):
            mine["to"] = [a.strip() for a in mine["to"].split(",") if a.strip()]
        headers = mine.pop("headers", None)
        if headers is not None:
            headers = dict(self._mapping(headers, f"{at}.headers"))
            subject = next((k for k in headers if str(k).lower() == "subject"), None)
            if subject is not None:
                mine["title"] = headers.pop(subject)
            if headers:
                mine["headers"] = headers
        tls = mine.pop("tls_config", None)
        if tls is not None:
            tls = self._mapping(tls, f"{at}.tls_config")
            self._keep(tls, {"insecure_skip_verify"}, f"{at}.tls_config")
            if "insecure_skip_verify" in tls:
                mine["tls_insecure_skip_verify"] = tls["insecure_skip_verify"]

    def inhibit_rule(self, doc: Any, where: str) -> dict[str, Any]:
        doc = self._mapping(doc, where)
        self._keep(doc, _INHIBIT, where)
        out: dict[str, Any] = {}
        for side in ("source", "target"):
            matchers = list(self._list(doc.get(f"{side}_matchers"), f"{where}.{side}_matchers"))
            matchers += self._equality(doc.get(f"{side}_match") or {}, "=", f"{where}.{side}_match")
            matchers += self._equality(doc.get(f"{side}_match_re") or {}, "=~", f"{where}.{side}_match_re")
            out[f"{side}_matchers"] = matchers
        if doc.get("equal"):
            out["equal"] = copy.deepcopy(doc["equal"])
        return out


def from_alertmanager(doc: Any, *, drop_unsupported: bool = False) -> tuple[dict[str, Any], list[str]]:
    """Our whole routing document from an Alertmanager configuration, and the fields it
    dropped (only with ``drop_unsupported``; else unsupported fields are refused, all named)."""
    imp = _Import()
    doc = imp._mapping(doc, "")
    imp._keep(doc, _TOP, "")
    if doc.get("route") is None:
        raise ValidationError("an Alertmanager configuration needs a route", field="route")
    glob = imp._mapping(doc.get("global") or {}, "global")
    imp._keep(glob, set(_GLOBAL_DEFAULTS), "global")
    defaults = {_GLOBAL_DEFAULTS[k]: v for k, v in glob.items() if k in _GLOBAL_DEFAULTS and v is not None}
    out: dict[str, Any] = {
        "route": imp.route(doc["route"], "route"),
        "receivers": [imp.receiver(r, f"receivers[{i}]", defaults)
                      for i, r in enumerate(imp._list(doc.get("receivers"), "receivers"))],
        "inhibit_rules": [imp.inhibit_rule(r, f"inhibit_rules[{i}]")
                          for i, r in enumerate(imp._list(doc.get("inhibit_rules"), "inhibit_rules"))],
        "time_intervals": [copy.deepcopy(t) for key in ("time_intervals", "mute_time_intervals")
                           for t in imp._list(doc.get(key), key)],
    }
    if imp.unsupported and not drop_unsupported:
        raise BatchRejected([ValidationError("not supported here (see docs/adr/0018-notification-routing.md); "
                                             "import with drop_unsupported to leave it out", field=f)
                             for f in imp.unsupported])
    return out, imp.unsupported


def parse_yaml(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ValidationError(f"not YAML: {exc.problem}{where}", field="body") from None
    except yaml.YAMLError as exc:
        raise ValidationError(f"not YAML: {exc}", field="body") from None


# ------------------------------------------------------------------------------ export


def _duration(value: Any) -> Any:
    return value if isinstance(value, str) else _format_ms(parse_duration_ms(value, "duration"))


def _format_ms(ms: int) -> str:
    if ms == 0:
        return "0s"
    out = ""
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        if ms >= size:
            out += f"{ms // size}{unit}"
            ms %= size
    return out


def _route_out(doc: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("receiver", "group_by", "continue", "matchers", "mute_time_intervals", "active_time_intervals"):
        if doc.get(key) not in (None, [], False):
            value = doc[key]
            out[key] = [value] if key == "matchers" and isinstance(value, str) else copy.deepcopy(value)
    for key in ("group_wait", "group_interval", "repeat_interval"):
        if doc.get(key) is not None:
            out[key] = _duration(doc[key])
    if doc.get("routes"):
        out["routes"] = [_route_out(c) for c in doc["routes"]]
    return out


def _channel_out(kind: str, channel: Mapping[str, Any]) -> dict[str, Any]:
    fields = _OURS[kind][1]
    out: dict[str, Any] = {}
    for ours, value in channel.items():
        if kind == "email" and ours == "to":
            out["to"] = ", ".join(value) if isinstance(value, list) else value
        elif kind == "email" and ours == "title":
            out.setdefault("headers", {})["Subject"] = value
        elif kind == "email" and ours == "headers":
            out.setdefault("headers", {}).update(value)
        elif kind == "email" and ours == "tls_insecure_skip_verify":
            out["tls_config"] = {"insecure_skip_verify": value}
        elif ours in fields and fields[ours] != "tls_config":
            out[fields[ours]] = copy.deepcopy(value)
    return out


def to_alertmanager(doc: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """An Alertmanager configuration from our whole document, and notes on what it could
    not express (log channels). Secrets are copied as they are in ``doc``: redact first."""
    notes: list[str] = []
    receivers = []
    for r in doc.get("receivers", []):
        out: dict[str, Any] = {"name": r["name"]}
        for kind, (am_list, _) in _OURS.items():
            if r.get(f"{kind}_configs"):
                out[am_list] = [_channel_out(kind, c) for c in r[f"{kind}_configs"]]
        if r.get("log_configs"):
            notes.append(f"receiver {r['name']!r} notifies through the log channel, which Alertmanager has not: "
                         "exported without it")
        receivers.append(out)
    am: dict[str, Any] = {"route": _route_out(doc["route"]), "receivers": receivers}
    rules = [{k: copy.deepcopy(v) for k, v in rule.items() if k in ("source_matchers", "target_matchers", "equal") and v}
             for rule in doc.get("inhibit_rules", [])]
    if rules:
        am["inhibit_rules"] = rules
    if doc.get("time_intervals"):
        am["time_intervals"] = copy.deepcopy(list(doc["time_intervals"]))
    return am, notes


def export_yaml(doc: Mapping[str, Any], revision: int) -> str:
    am, notes = to_alertmanager(doc)
    head = [f"# Observer-Eye routing, revision {revision}. Secrets are placeholders: importing this file",
            "# back keeps the stored ones. " + ("" if notes else "Nothing was left out.")]
    head += ["# " + _ONE_LINE.sub(" ", n) for n in notes]
    return "\n".join(head) + "\n" + yaml.safe_dump(am, sort_keys=False, allow_unicode=True, default_flow_style=False)
