"""One PromQL alerting rule's alerts, evaluated as Prometheus' ``AlertingRule.Eval``.

Each evaluation gets the rule's query result (label sets and values) at ``ts``. Every
result series is an alert: its labels are the series' labels without ``__name__``,
the rule's labels (templates expanded; an empty one removes the label) and
``alertname``; its annotations are the rule's, expanded. The alert state machine is
``domain.alerts.state.Alert`` (the one every rule kind shares): new alerts are
pending until they held ``for``, alerts that left the result resolve (after
``keep_firing_for``), pending ones just go. Active alerts are written as Prometheus
writes them: ``ALERTS{..., alertstate="pending"|"firing"} 1`` and
``ALERTS_FOR_STATE{...}`` = the second the alert became active.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from domain.alerts.fingerprint import fingerprint
from domain.alerts.rule_groups import (
    ALERT_STATE_LABEL, ALERTNAME, ALERTS_FOR_STATE_METRIC, ALERTS_METRIC, AlertingRule,
)
from domain.alerts.rules import RuleResult
from domain.alerts.state import Alert, AlertState, AlertTransition
from domain.alerts.templates import expand
from domain.errors import ValidationError
from domain.metrics.labels import DEFAULT_LIMITS, LabelLimits, LabelSet

RESOLVED_RETENTION_MS = 15 * 60_000  # as Prometheus: a resolved alert is remembered this long
METRIC_NAME = "__name__"
LabelPairs = tuple[tuple[str, str], ...]
Query = Callable[[str], Sequence]


class RuleEvaluationError(Exception):
    """The rule's result cannot be turned into alerts (or series); the rule's health
    becomes "err" with this message and its alerts stay as they were."""


@dataclass
class AlertsOutput:
    series: list[tuple[str, LabelPairs, float]] = field(default_factory=list)  # (name, labels, value) at ts
    transitions: list[tuple[AlertTransition, Alert]] = field(default_factory=list)
    changed: list[Alert] = field(default_factory=list)  # to store: their state or timers moved


def _signature(a: Alert) -> tuple:
    return (a.state, a.active_at_ms, a.fired_at_ms, a.resolved_at_ms, a.keep_firing_since_ms)


class AlertingRuleState:
    """The alerts of one alerting rule of one tenant, by fingerprint."""

    def __init__(self, tenant: str, rule_id: str, rule: AlertingRule, alerts: Iterable[Alert] = (), *,
                 limits: LabelLimits = DEFAULT_LIMITS) -> None:
        self.tenant = tenant
        self.rule_id = rule_id
        self.rule = rule
        self.limits = limits
        self.active: dict[str, Alert] = {a.fingerprint: a for a in alerts
                                          if a.state in (AlertState.PENDING, AlertState.FIRING, AlertState.RESOLVED)}

    def _alert_labels(self, labels: Mapping[str, str], value: float, expander: Callable[[str], str]) -> LabelSet:
        out = {k: v for k, v in labels.items() if k != METRIC_NAME}
        for name, text in self.rule.labels:
            expanded = expander(text)
            if expanded:
                out[name] = expanded
            else:
                out.pop(name, None)
        out[ALERTNAME] = self.rule.name
        try:
            return LabelSet.of(out, self.limits)
        except ValidationError as exc:
            raise RuleEvaluationError(f"alert labels are not valid: {exc.message}") from None

    def evaluate(self, result: Sequence[tuple[Mapping[str, str], float]], ts: int, *, limit: int = 0,
                 external_labels: Mapping[str, str] | None = None, external_url: str = "",
                 query: Query | None = None) -> AlertsOutput:
        """Apply one evaluation at ``ts`` of the rule's query result; RuleEvaluationError
        (state unchanged) if two series give one label set."""
        rule = self.rule
        name = f"__alert_{rule.name}"
        current: dict[str, tuple[LabelSet, LabelPairs, float]] = {}
        for labels, value in result:
            def expander(text: str, labels=labels, value=value) -> str:
                return expand(text, name, labels, value, external_labels=external_labels, external_url=external_url,
                              query=query)

            alert_labels = self._alert_labels(labels, value, expander)
            fp = fingerprint(alert_labels)
            if fp in current:
                raise RuleEvaluationError("vector contains metrics with the same labelset after applying alert labels")
            annotations = tuple(sorted((k, expander(text)) for k, text in rule.annotations))
            current[fp] = (alert_labels, annotations, value)

        out = AlertsOutput()
        before = {fp: _signature(a) for fp, a in self.active.items()}
        snapshot = {fp: copy.copy(a) for fp, a in self.active.items()}
        for fp, (alert_labels, annotations, value) in current.items():
            alert = self.active.get(fp)
            if alert is None:
                alert = self.active[fp] = Alert.new(self.tenant, self.rule_id, alert_labels)
            alert.annotations = annotations
            self._observe(alert, RuleResult(True, value), ts, out)
        for fp, alert in list(self.active.items()):
            if fp in current:
                continue
            self._observe(alert, RuleResult(False, alert.value), ts, out)
            if alert.state is AlertState.INACTIVE or (
                    alert.state is AlertState.RESOLVED and ts - (alert.resolved_at_ms or ts) > RESOLVED_RETENTION_MS):
                del self.active[fp]
        active = [a for a in self.active.values() if a.state in (AlertState.PENDING, AlertState.FIRING)]
        if limit > 0 and len(active) > limit:
            # As in Prometheus, none of this evaluation's alerts are kept; those active
            # before it end now (the pipeline hears firing ones resolve).
            self.active = snapshot
            ended = AlertsOutput()
            self._stop_all(ts, ended)
            raise AlertLimitExceeded(f"exceeded limit of {limit} with {len(active)} alerts", ended)
        for fp, alert in self.active.items():
            if before.get(fp) != _signature(alert) and alert not in out.changed:
                out.changed.append(alert)
        out.series = self.series(ts)
        return out

    def _observe(self, alert: Alert, result: RuleResult, ts: int, out: AlertsOutput) -> None:
        transition = alert.observe(result, ts, self.rule.for_ms, self.rule.keep_firing_for_ms)
        if transition is not None:
            out.transitions.append((transition, alert))
            out.changed.append(alert)

    def series(self, ts: int) -> list[tuple[str, LabelPairs, float]]:
        """``ALERTS`` and ``ALERTS_FOR_STATE`` of the active (pending and firing) alerts."""
        out = []
        for alert in self.active.values():
            if alert.state not in (AlertState.PENDING, AlertState.FIRING):
                continue
            pairs = alert.labels.pairs
            state = tuple(sorted((*pairs, (ALERT_STATE_LABEL, alert.state.value))))
            out.append((ALERTS_METRIC, state, 1.0))
            assert alert.active_at_ms is not None
            out.append((ALERTS_FOR_STATE_METRIC, pairs, float(alert.active_at_ms // 1000)))
        return out

    def _stop_all(self, ts: int, out: AlertsOutput) -> None:
        """Every alert ends now: firing ones resolve, pending ones go (a rule over its
        limit keeps none, as in Prometheus, and the pipeline must hear of it)."""
        for alert in self.active.values():
            transition = None
            if alert.state is AlertState.FIRING:
                transition = alert.resolve(max(ts, alert.last_eval_ms or ts))
            elif alert.state is AlertState.PENDING:
                transition = alert.to_inactive(max(ts, alert.last_eval_ms or ts))
            if transition is not None:
                out.transitions.append((transition, alert))
                out.changed.append(alert)
        self.active.clear()

    def stop(self, ts: int) -> AlertsOutput:
        """The rule was removed: its alerts end (firing ones resolve)."""
        out = AlertsOutput()
        self._stop_all(ts, out)
        return out


class AlertLimitExceeded(RuleEvaluationError):
    """Over the group's limit: every alert was ended; ``output`` holds those endings."""

    def __init__(self, message: str, output: AlertsOutput) -> None:
        super().__init__(message)
        self.output = output
