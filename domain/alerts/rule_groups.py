"""PromQL rules, Prometheus' way: alerting and recording rules in named groups that
are evaluated, rule after rule, on the group's interval.

A group belongs to a tenant and is named uniquely within it. Its rules keep their
order (a recording rule's output feeds the rules after it at the same evaluation).
``RuleGroup.document`` is the group in Prometheus' rule file format, the form the API,
exports and storage all use; ``domain.alerts.rule_files`` reads that format back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Union

from domain.metrics.durations import format_duration, parse_duration_ms

DEFAULT_INTERVAL_MS = 60_000  # Prometheus' default global evaluation_interval
ALERTS_METRIC = "ALERTS"
ALERTS_FOR_STATE_METRIC = "ALERTS_FOR_STATE"
ALERT_STATE_LABEL = "alertstate"
ALERTNAME = "alertname"

Pairs = tuple[tuple[str, str], ...]  # sorted by name: label and annotation order carries no meaning


@dataclass(frozen=True, slots=True)
class AlertingRule:
    """``alert``: an alert per series of ``expr``'s result, firing once it held ``for``."""

    name: str
    expr: str
    for_ms: int = 0
    keep_firing_for_ms: int = 0
    labels: Pairs = ()
    annotations: Pairs = ()

    @property
    def kind(self) -> str:
        return "alerting"

    def document(self) -> dict:
        doc: dict = {"alert": self.name, "expr": self.expr}
        if self.for_ms:
            doc["for"] = format_duration(self.for_ms)
        if self.keep_firing_for_ms:
            doc["keep_firing_for"] = format_duration(self.keep_firing_for_ms)
        if self.labels:
            doc["labels"] = dict(self.labels)
        if self.annotations:
            doc["annotations"] = dict(self.annotations)
        return doc


@dataclass(frozen=True, slots=True)
class RecordingRule:
    """``record``: ``expr``'s result written back as series named ``name``."""

    name: str
    expr: str
    labels: Pairs = ()

    @property
    def kind(self) -> str:
        return "recording"

    def document(self) -> dict:
        doc: dict = {"record": self.name, "expr": self.expr}
        if self.labels:
            doc["labels"] = dict(self.labels)
        return doc


PromRule = Union[AlertingRule, RecordingRule]


@dataclass(frozen=True, slots=True)
class RuleGroup:
    tenant: str
    name: str
    rules: tuple[PromRule, ...] = ()
    interval_ms: int = 0  # 0: the default evaluation interval
    limit: int = 0  # alerts (or series) a rule may produce; 0: no limit
    source: str = ""  # the file it was imported from, if any (Prometheus' "file")

    @property
    def key(self) -> tuple[str, str]:
        return (self.tenant, self.name)

    def interval(self, default_ms: int = DEFAULT_INTERVAL_MS) -> int:
        return self.interval_ms or default_ms

    def document(self) -> dict:
        """The group in Prometheus' rule file format (one entry of ``groups:``)."""
        doc: dict = {"name": self.name}
        if self.interval_ms:
            doc["interval"] = format_duration(self.interval_ms)
        if self.limit:
            doc["limit"] = self.limit
        doc["rules"] = [r.document() for r in self.rules]
        return doc

    @classmethod
    def from_document(cls, tenant: str, doc: Mapping, source: str = "") -> "RuleGroup":
        """A group from its ``document()`` as stored (trusted: checked when it was
        saved; ``domain.alerts.rule_files`` reads and checks what users send)."""
        rules: list[PromRule] = []
        for r in doc.get("rules", ()):
            labels = tuple(sorted(r.get("labels", {}).items()))
            if "alert" in r:
                rules.append(AlertingRule(
                    r["alert"], r["expr"], parse_duration_ms(r.get("for", "0s")),
                    parse_duration_ms(r.get("keep_firing_for", "0s")), labels, tuple(sorted(r.get("annotations", {}).items()))))
            else:
                rules.append(RecordingRule(r["record"], r["expr"], labels))
        interval = parse_duration_ms(doc["interval"]) if doc.get("interval") else 0
        return cls(tenant, doc["name"], tuple(rules), interval, int(doc.get("limit", 0)), source)

    def with_interval(self, interval_ms: int) -> "RuleGroup":
        return replace(self, interval_ms=interval_ms)

    def rule_ids(self) -> list[str]:
        """A stable id per rule: alerts keep their rule across edits that only reorder,
        add or remove other rules (the n-th rule of a name keeps its id)."""
        seen: dict[tuple[str, str], int] = {}
        out = []
        for rule in self.rules:
            n = seen[(rule.kind, rule.name)] = seen.get((rule.kind, rule.name), -1) + 1
            out.append(f"group:{self.name}/{rule.kind}:{rule.name}" + (f"#{n}" if n else ""))
        return out

    def identity_hash(self) -> int:
        """A stable 64-bit hash of (tenant, name), the same in every process."""
        digest = hashlib.blake2b(f"{self.tenant}\x00{self.name}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big")

    def offset_ms(self, interval_ms: int) -> int:
        """Where in each interval this group is evaluated: a hash of its identity, so
        groups spread over the interval instead of all running at once (Prometheus
        offsets by a hash of the group's name and file the same way)."""
        return self.identity_hash() % interval_ms

    def evaluation_time(self, now_ms: int, interval_ms: int) -> int:
        """The latest evaluation slot at or before ``now_ms`` (Prometheus' ``EvalTimestamp``)."""
        offset = self.offset_ms(interval_ms)
        adjusted = now_ms - offset
        return adjusted - adjusted % interval_ms + offset


@dataclass(frozen=True, slots=True)
class RuleStatus:
    """How a rule's last evaluation went (Prometheus' rule health)."""

    health: str = "unknown"  # ok, err, unknown
    last_error: str = ""
    last_evaluation_ms: int | None = None
    evaluation_s: float = 0.0


@dataclass(frozen=True, slots=True)
class GroupStatus:
    last_evaluation_ms: int | None = None
    evaluation_s: float = 0.0
    rules: Mapping[str, RuleStatus] = field(default_factory=dict)  # by rule id

    def with_error(self, message: str) -> "GroupStatus":
        """The same evaluation, every rule failed with ``message`` (its output was lost)."""
        rules = {rid: RuleStatus("err", message, s.last_evaluation_ms, s.evaluation_s) for rid, s in self.rules.items()}
        return GroupStatus(self.last_evaluation_ms, self.evaluation_s, rules)

    def document(self) -> dict:
        return {
            "last": self.last_evaluation_ms, "took": self.evaluation_s,
            "rules": {rid: [s.health, s.last_error, s.last_evaluation_ms, s.evaluation_s]
                      for rid, s in self.rules.items()},
        }

    @classmethod
    def from_document(cls, doc: Mapping) -> "GroupStatus":
        return cls(doc.get("last"), float(doc.get("took", 0.0)),
                   {rid: RuleStatus(h, e, t, float(s)) for rid, (h, e, t, s) in doc.get("rules", {}).items()})
