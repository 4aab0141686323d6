"""Messages: what a receiver channel is told about an alert group, and the templates
that turn it into a title and a text, one default per channel type.

Templates are written by operators in the alerting configuration, so, like rule
annotations, they are not a language: ``{{ name }}`` looks a value up and nothing is
evaluated. Values are escaped for the channel (Slack treats ``<``, ``>`` and ``&`` as
markup: a label value must not become a ``<!channel>`` mention); the template text
itself is not, so an operator can still write Slack links on purpose.

Variables: ``status`` (firing/resolved), ``STATUS``, ``headline``, ``name`` (the
alertname the group shares, else "alerts"), ``receiver``, ``tenant``, ``group_key``,
``firing_count``, ``resolved_count``, ``group_labels`` (``k="v", ...``),
``group_labels.<label>``, ``common_labels.<label>``, ``common_annotations.<name>``,
``alerts_text`` (one block per alert), ``alerts_markdown`` (one bullet per alert) and
``alerts_mrkdwn`` (the same in Slack's dialect).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

from domain.metrics.labels import EMPTY, LabelSet

_VAR_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\s*\}\}")
MAX_TEMPLATE_LENGTH = 10_000


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class AlertView:
    fingerprint: str
    status: str  # "firing" or "resolved"
    labels: LabelSet
    annotations: Mapping[str, str] = field(default_factory=dict)
    starts_at_ms: int | None = None

    def title(self) -> str:
        return self.annotations.get("summary") or self.labels.get("alertname") or self.fingerprint


def _common(items: list[Mapping[str, str]]) -> dict[str, str]:
    if not items:
        return {}
    first = dict(items[0])
    return {k: v for k, v in first.items() if all(other.get(k) == v for other in items[1:])}


def _pairs(labels: Mapping[str, str]) -> str:
    return ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()))


@dataclass(frozen=True, slots=True)
class MessageView:
    """One notification of one alert group to one receiver, ready for templates."""

    tenant: str
    receiver: str
    group_key: str
    at_ms: int
    firing: tuple[AlertView, ...]
    resolved: tuple[AlertView, ...] = ()
    group_labels: LabelSet = EMPTY

    @property
    def status(self) -> str:
        return "firing" if self.firing else "resolved"

    @property
    def alerts(self) -> tuple[AlertView, ...]:
        return self.firing + self.resolved

    @property
    def common_labels(self) -> dict[str, str]:
        return _common([a.labels.as_dict() for a in self.alerts])

    @property
    def common_annotations(self) -> dict[str, str]:
        return _common([dict(a.annotations) for a in self.alerts])

    @property
    def name(self) -> str:
        return self.common_labels.get("alertname") or self.group_labels.get("alertname") or "alerts"

    @property
    def headline(self) -> str:
        count = f":{len(self.firing)}" if self.firing else ""
        extra = {k: v for k, v in self.group_labels.as_dict().items() if k != "alertname"}
        suffix = f" ({_pairs(extra)})" if extra else ""
        return f"[{self.status.upper()}{count}] {self.name}{suffix}"

    def alerts_text(self) -> str:
        blocks = []
        for a in self.alerts:
            lines = [f"[{a.status.upper()}] {a.title()}", f"  labels: {_pairs(a.labels.as_dict())}"]
            lines += [f"  {k}: {v}" for k, v in sorted(a.annotations.items()) if k != "summary"]
            if a.starts_at_ms is not None:
                lines.append(f"  since: {iso(a.starts_at_ms)}")
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)

    def alerts_markdown(self, bold: str = "**") -> str:
        return "\n".join(f"- {bold}{a.status.upper()}{bold} {a.title()} ({_pairs(a.labels.as_dict())})" for a in self.alerts)

    def lookup(self, name: str) -> str | None:
        """The value of a template variable, None if there is no such variable."""
        head, _, tail = name.partition(".")
        if tail:
            source = {"group_labels": self.group_labels.as_dict(), "common_labels": self.common_labels,
                      "common_annotations": self.common_annotations}.get(head)
            return None if source is None else source.get(tail, "")
        simple: dict[str, Callable[[], str]] = {
            "status": lambda: self.status, "STATUS": lambda: self.status.upper(), "headline": lambda: self.headline,
            "name": lambda: self.name, "receiver": lambda: self.receiver, "tenant": lambda: self.tenant,
            "group_key": lambda: self.group_key, "firing_count": lambda: str(len(self.firing)),
            "resolved_count": lambda: str(len(self.resolved)), "group_labels": lambda: _pairs(self.group_labels.as_dict()),
            "alerts_text": self.alerts_text, "alerts_markdown": self.alerts_markdown,
            "alerts_mrkdwn": lambda: self.alerts_markdown("*"),
        }
        fn = simple.get(name)
        return fn() if fn is not None else None


def slack_escape(text: str) -> str:
    """Slack's three control characters (https://api.slack.com/reference/surfaces/formatting#escaping)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


ESCAPES: Mapping[str, Callable[[str], str]] = {"slack": slack_escape}


def render(template: str, view: MessageView, escape: Callable[[str], str] | None = None) -> str:
    """Substitute ``{{ var }}``; unknown variables stay verbatim (a typo shows, not vanishes)."""

    def sub(match: re.Match[str]) -> str:
        value = view.lookup(match.group(1))
        if value is None:
            return match.group(0)
        return escape(value) if escape else value

    return _VAR_RE.sub(sub, template)


@dataclass(frozen=True, slots=True)
class ChannelTemplate:
    title: str
    text: str


_FOOTER = "\n\n--\nObserver-Eye · receiver {{ receiver }} · group {{ group_key }}"
DEFAULT_TEMPLATES: Mapping[str, ChannelTemplate] = {
    "log": ChannelTemplate("{{ headline }}", "{{ alerts_text }}"),
    "webhook": ChannelTemplate("{{ headline }}", "{{ alerts_text }}"),
    "slack": ChannelTemplate("{{ headline }}", "{{ alerts_mrkdwn }}"),
    "teams": ChannelTemplate("{{ headline }}", "{{ alerts_markdown }}"),
    "email": ChannelTemplate("{{ headline }}", "{{ alerts_text }}" + _FOOTER),
    "pagerduty": ChannelTemplate("{{ headline }}", "{{ alerts_text }}"),
}


def render_message(channel_type: str, view: MessageView, title: str | None = None, text: str | None = None) -> tuple[str, str]:
    """Title and text for a channel: its configured templates, else the channel's defaults."""
    default = DEFAULT_TEMPLATES.get(channel_type, DEFAULT_TEMPLATES["webhook"])
    escape = ESCAPES.get(channel_type)
    return render(title or default.title, view, escape), render(text or default.text, view, escape)
