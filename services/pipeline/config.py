"""The alerting configuration: routing tree, receivers and their channels, inhibit rules.

An Alertmanager-like document, as JSON (``OBSERVER_ALERTING_CONFIG`` names the file)::

    {"route": {"receiver": "ops", "group_by": ["alertname"], "group_wait": "30s",
               "group_interval": "5m", "repeat_interval": "4h",
               "routes": [{"matchers": ["severity=\\"critical\\""], "receiver": "pager"}]},
     "receivers": [{"name": "ops", "slack_configs": [{"url_file": "/run/secrets/slack"}]},
                   {"name": "pager", "pagerduty_configs": [{"routing_key": "..."}]}],
     "inhibit_rules": [{"source_matchers": ["severity=\\"critical\\""],
                        "target_matchers": ["severity=\\"warning\\""], "equal": ["alertname"]}]}

Channel lists are ``log_configs``, ``webhook_configs``, ``slack_configs``,
``teams_configs``, ``email_configs`` and ``pagerduty_configs``. A secret field (``url``,
``secret``, ``password``, ``routing_key``) may be given as ``<field>_file`` instead, so
secrets stay out of the file. Every error names the field that is wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from domain.alerts.inhibition import InhibitRule, Inhibitor
from domain.alerts.routing import Route
from domain.alerts.time_intervals import TimeInterval
from domain.errors import ValidationError
from domain.metrics.matchers import Matcher, parse_matchers
from domain.notifications.templates import MAX_TEMPLATE_LENGTH

CHANNEL_TYPES = ("log", "webhook", "slack", "teams", "email", "pagerduty")
SECRET_FIELDS = ("url", "secret", "password", "routing_key")
PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"

_COMMON = {"name", "send_resolved", "title", "text"}
_FIELDS: Mapping[str, tuple[set[str], set[str]]] = {  # type -> (required, optional)
    "log": (set(), set()),
    "webhook": ({"url"}, {"secret", "max_alerts"}),
    "slack": ({"url"}, {"channel", "username", "icon_emoji"}),
    "teams": ({"url"}, set()),
    "email": ({"to", "from", "smarthost"}, {"username", "password", "starttls", "tls_ca_file", "tls_insecure_skip_verify", "headers"}),
    "pagerduty": ({"routing_key"}, {"url", "severity", "source", "client", "client_url"}),
}
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_ROUTE_KEYS = {"id", "receiver", "matchers", "group_by", "group_wait", "group_interval", "repeat_interval", "continue", "routes",
               "mute_time_intervals", "active_time_intervals"}


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    """One way of reaching a receiver. ``settings`` may hold secrets: never log them
    (``repr`` leaves them out)."""

    name: str
    type: str
    settings: Mapping[str, Any] = field(repr=False)
    send_resolved: bool = True
    title: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class AlertingConfig:
    route: Route
    receivers: Mapping[str, tuple[ChannelConfig, ...]]
    inhibit_rules: tuple[InhibitRule, ...] = ()
    time_intervals: Mapping[str, TimeInterval] = field(default_factory=dict)

    @property
    def inhibitor(self) -> Inhibitor:
        return Inhibitor(self.inhibit_rules)

    def channels(self, receiver: str) -> tuple[ChannelConfig, ...]:
        return self.receivers.get(receiver, ())

    def channel(self, receiver: str, name: str) -> ChannelConfig | None:
        return next((c for c in self.channels(receiver) if c.name == name), None)

    @classmethod
    def default(cls) -> "AlertingConfig":
        """One root route, grouped by alertname, to a ``default`` receiver that logs."""
        return cls.from_dict({"route": {"receiver": "default", "group_by": ["alertname"]},
                              "receivers": [{"name": "default", "log_configs": [{}]}]})

    @classmethod
    def from_dict(cls, doc: Any, base_dir: Path | None = None) -> "AlertingConfig":
        _object(doc, "config")
        _known(doc, {"route", "receivers", "inhibit_rules", "time_intervals"}, "")
        if "route" not in doc:
            raise ValidationError("the configuration needs a root route", field="route")
        receivers = _receivers(doc.get("receivers", []), base_dir)
        intervals: dict[str, TimeInterval] = {}
        for i, item in enumerate(_list(doc.get("time_intervals", []), "time_intervals")):
            interval = TimeInterval.from_dict(item, f"time_intervals[{i}]")
            if interval.name in intervals:
                raise ValidationError(f"time interval {interval.name!r} is defined twice", field=f"time_intervals[{i}].name")
            intervals[interval.name] = interval
        route = _route(doc["route"], "root", "route", root=True, intervals=intervals)
        missing = sorted(route.receiver_names() - set(receivers))
        if missing:
            raise ValidationError(f"the routing tree names receiver {missing[0]!r}, which is not configured", field="receivers")
        rules = tuple(_inhibit_rule(r, f"inhibit_rules[{i}]") for i, r in enumerate(_list(doc.get("inhibit_rules", []), "inhibit_rules")))
        return cls(route, receivers, rules, intervals)


class AlertingConfigs(Protocol):
    """Where a tenant's routing tree, receivers and inhibit rules come from. Read per
    pass of the pipeline and per delivery: a change applies from the next pass on,
    without a restart (services/routing/configs.py: the stored resources, cached briefly)."""

    async def for_tenant(self, tenant: str) -> AlertingConfig: ...

    def invalidate(self, tenant: str) -> None:
        """Forget what was read for ``tenant``: the next ``for_tenant`` reads it afresh."""
        ...


class FixedAlertingConfigs:
    """One configuration for every tenant (tests; production reads each tenant's stored
    routing: services/routing/configs.py)."""

    def __init__(self, config: AlertingConfig) -> None:
        self.config = config

    def invalidate(self, tenant: str) -> None:
        pass  # nothing is read: nothing to forget

    async def for_tenant(self, tenant: str) -> AlertingConfig:
        return self.config


_CACHE = "alerting_config"


async def load_configs(cache: dict[str, Any], source: AlertingConfigs, tenants: Iterable[str]) -> None:
    """Read the configurations of ``tenants`` once per pass (into the pass' ``cache``)."""
    known: dict[str, AlertingConfig] = cache.setdefault(_CACHE, {})
    for tenant in sorted(set(tenants) - set(known)):
        known[tenant] = await source.for_tenant(tenant)


def config_of(cache: dict[str, Any], tenant: str) -> AlertingConfig:
    """The configuration ``load_configs`` read for ``tenant`` in this pass."""
    return cache[_CACHE][tenant]


def load_alerting_config(path: Path | str | None) -> AlertingConfig:
    """The configuration in the JSON file at ``path``, or the default one if None."""
    if path is None or str(path) in ("", "."):  # an empty OBSERVER_ALERTING_CONFIG= means unset
        return AlertingConfig.default()
    p = Path(path)
    try:
        doc = json.loads(p.read_text())
    except OSError as exc:
        raise ValidationError(f"cannot read the alerting configuration {p}: {exc.strerror}", field="alerting_config") from None
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{p} is not JSON: {exc.msg} at line {exc.lineno}", field="alerting_config") from None
    return AlertingConfig.from_dict(doc, base_dir=p.parent)


def parse_duration_ms(value: Any, field: str) -> int:
    """``"30s"``, ``"1h30m"``, ``"500ms"``, or a number of seconds."""
    if isinstance(value, bool):
        raise ValidationError("a duration must be a string like 30s or a number of seconds", field=field)
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValidationError("a duration must be >= 0", field=field)
        return int(round(value * 1000))
    if not isinstance(value, str) or not value:
        raise ValidationError("a duration must be a string like 30s or a number of seconds", field=field)
    pos, total = 0, 0.0
    for m in _DURATION_RE.finditer(value):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNIT_MS[m.group(2)]
        pos = m.end()
    if pos != len(value):
        raise ValidationError(f"{value!r} is not a duration: use e.g. 30s, 5m, 1h30m", field=field)
    return int(total)


# -- parsing helpers -------------------------------------------------------------------


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationError("must be an object", field=where)
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValidationError("must be a list", field=where)
    return value


def _known(doc: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(doc) - allowed)
    if unknown:
        prefix = f"{where}." if where else ""
        raise ValidationError(f"unknown field {unknown[0]!r}; expected one of {', '.join(sorted(allowed))}", field=prefix + unknown[0])


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationError("must be a non-empty string", field=where)
    return value


def _matchers(value: Any, where: str) -> tuple[Matcher, ...]:
    items = [value] if isinstance(value, str) else _list(value, where)
    out: list[Matcher] = []
    for i, text in enumerate(items):
        try:
            out += parse_matchers(_string(text, f"{where}[{i}]"))
        except ValidationError as exc:
            raise ValidationError(exc.message, field=f"{where}[{i}]") from None
    return tuple(out)


def _intervals(doc: Mapping[str, Any], name: str, where: str, known: Mapping[str, TimeInterval] | None) -> tuple[TimeInterval, ...]:
    """The time intervals a route names (``known=None``: names only checked for shape)."""
    names = [_string(n, f"{where}.{name}[{i}]") for i, n in enumerate(_list(doc.get(name, []), f"{where}.{name}"))]
    out = []
    for i, n in enumerate(names):
        if known is None:
            out.append(TimeInterval(n, ()))
        elif n not in known:
            raise ValidationError(f"no time interval {n!r} is defined", field=f"{where}.{name}[{i}]")
        else:
            out.append(known[n])
    return tuple(out)


def _route(doc: Any, route_id: str, where: str, *, root: bool = False,
           intervals: Mapping[str, TimeInterval] | None = None) -> Route:
    _object(doc, where)
    _known(doc, _ROUTE_KEYS, where)
    rid = doc.get("id", route_id)
    children = _list(doc.get("routes", []), f"{where}.routes")
    if root and doc.get("matchers"):
        raise ValidationError("the root route matches every alert; it cannot have matchers", field=f"{where}.matchers")
    if root and "receiver" not in doc:
        raise ValidationError("the root route needs a receiver", field=f"{where}.receiver")
    for name in ("mute_time_intervals", "active_time_intervals"):
        if root and doc.get(name):
            raise ValidationError("the root route cannot have time intervals (Alertmanager's rule too)", field=f"{where}.{name}")
    mute = _intervals(doc, "mute_time_intervals", where, intervals)
    active = _intervals(doc, "active_time_intervals", where, intervals)
    group_by = doc.get("group_by")
    if group_by is not None:
        group_by = tuple(_string(g, f"{where}.group_by[{i}]") for i, g in enumerate(_list(group_by, f"{where}.group_by")))
    cont = doc.get("continue", False)
    if not isinstance(cont, bool):
        raise ValidationError("must be true or false", field=f"{where}.continue")
    timing = {name: parse_duration_ms(doc[name], f"{where}.{name}") for name in ("group_wait", "group_interval", "repeat_interval") if name in doc}
    for name in ("group_interval", "repeat_interval"):
        if timing.get(name) == 0:
            raise ValidationError("must be > 0", field=f"{where}.{name}")
    try:
        return Route(
            id=rid,
            receiver=_string(doc["receiver"], f"{where}.receiver") if "receiver" in doc else None,
            matchers=_matchers(doc.get("matchers", []), f"{where}.matchers"),
            group_by=group_by,
            continue_=cont,
            routes=tuple(_route(c, f"{rid}/{i}", f"{where}.routes[{i}]", intervals=intervals) for i, c in enumerate(children)),
            group_wait_ms=timing.get("group_wait"),
            group_interval_ms=timing.get("group_interval"),
            repeat_interval_ms=timing.get("repeat_interval"),
            mute_time_intervals=mute,
            active_time_intervals=active,
        )
    except ValidationError as exc:
        if exc.field and exc.field.startswith(where):
            raise  # a child route's error, already located
        # The domain names its own fields (``routes.<id>.group_by``): locate it in the document.
        leaf = (exc.field or "").split(".")[-1]
        raise ValidationError(exc.message, field=f"{where}.{leaf}" if leaf else where) from None


def _secret(doc: Mapping[str, Any], name: str, where: str, base_dir: Path | None) -> Any:
    if f"{name}_file" not in doc:
        return doc.get(name)
    if name in doc:
        raise ValidationError(f"give {name} or {name}_file, not both", field=f"{where}.{name}")
    path = Path(_string(doc[f"{name}_file"], f"{where}.{name}_file"))
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    try:
        return path.read_text().strip()
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}", field=f"{where}.{name}_file") from None


def _channel(kind: str, doc: Any, index: int, where: str, base_dir: Path | None) -> ChannelConfig:
    _object(doc, where)
    required, optional = _FIELDS[kind]
    _known(doc, required | optional | _COMMON | {f"{s}_file" for s in SECRET_FIELDS if s in required | optional}, where)
    settings = {k: v for k, v in doc.items() if k not in _COMMON and not k.endswith("_file")}
    for name in SECRET_FIELDS:
        if name in required | optional:
            value = _secret(doc, name, where, base_dir)
            if value is not None:
                settings[name] = value
    for name in sorted(required):
        if settings.get(name) in (None, "", []):
            raise ValidationError(f"a {kind} channel needs {name}", field=f"{where}.{name}")
    if "url" in settings:
        url = _string(settings["url"], f"{where}.url")
        if not re.match(r"^https?://[^/\s]+", url):
            raise ValidationError("must be an http:// or https:// URL", field=f"{where}.url")
    if kind == "pagerduty":
        settings.setdefault("url", PAGERDUTY_EVENTS_URL)
    if "max_alerts" in settings and (isinstance(settings["max_alerts"], bool) or not isinstance(settings["max_alerts"], int)
                                     or settings["max_alerts"] < 0):
        raise ValidationError("must be a whole number >= 0 (0: no limit)", field=f"{where}.max_alerts")
    if kind == "email":
        to = settings["to"]
        settings["to"] = [to] if isinstance(to, str) else [_string(t, f"{where}.to[{i}]") for i, t in enumerate(_list(to, f"{where}.to"))]
        host, _, port = _string(settings["smarthost"], f"{where}.smarthost").rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValidationError("must be host:port", field=f"{where}.smarthost")
        for flag in ("starttls", "tls_insecure_skip_verify"):
            if flag in settings and not isinstance(settings[flag], bool):
                raise ValidationError("must be true or false", field=f"{where}.{flag}")
    for name in ("title", "text"):
        if name in doc and (not isinstance(doc[name], str) or len(doc[name]) > MAX_TEMPLATE_LENGTH):
            raise ValidationError(f"must be a template string of at most {MAX_TEMPLATE_LENGTH} characters", field=f"{where}.{name}")
    send_resolved = doc.get("send_resolved", True)
    if not isinstance(send_resolved, bool):
        raise ValidationError("must be true or false", field=f"{where}.send_resolved")
    name = _string(doc.get("name", f"{kind}-{index}"), f"{where}.name")
    return ChannelConfig(name, kind, settings, send_resolved, doc.get("title"), doc.get("text"))


def _receivers(value: Any, base_dir: Path | None) -> dict[str, tuple[ChannelConfig, ...]]:
    out: dict[str, tuple[ChannelConfig, ...]] = {}
    for i, doc in enumerate(_list(value, "receivers")):
        where = f"receivers[{i}]"
        _object(doc, where)
        _known(doc, {"name"} | {f"{k}_configs" for k in CHANNEL_TYPES}, where)
        name = _string(doc.get("name"), f"{where}.name")
        if name in out:
            raise ValidationError(f"receiver {name!r} is configured twice", field=f"{where}.name")
        channels: list[ChannelConfig] = []
        for kind in CHANNEL_TYPES:
            for j, c in enumerate(_list(doc.get(f"{kind}_configs", []), f"{where}.{kind}_configs")):
                channels.append(_channel(kind, c, j, f"{where}.{kind}_configs[{j}]", base_dir))
        names = [c.name for c in channels]
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup:
            raise ValidationError(f"channel name {dup!r} is used twice in receiver {name!r}", field=f"{where}.name")
        out[name] = tuple(channels)
    return out


def _inhibit_rule(doc: Any, where: str) -> InhibitRule:
    _object(doc, where)
    _known(doc, {"source_matchers", "target_matchers", "equal"}, where)
    source = _matchers(doc.get("source_matchers", []), f"{where}.source_matchers")
    target = _matchers(doc.get("target_matchers", []), f"{where}.target_matchers")
    if not source or not target:
        raise ValidationError("an inhibit rule needs source_matchers and target_matchers", field=where)
    equal = tuple(_string(e, f"{where}.equal[{i}]") for i, e in enumerate(_list(doc.get("equal", []), f"{where}.equal")))
    try:
        return InhibitRule(source, target, equal)
    except ValidationError as exc:
        raise ValidationError(exc.message, field=f"{where}.equal") from None
