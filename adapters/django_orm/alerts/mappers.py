"""Rows of ``oe_alerts`` <-> domain objects (rules, alerts, silences).

Label sets are stored as JSON objects (readable in the admin, queryable with jsonb) and
rebuilt with ``LabelSet``'s trusted constructor: they were validated when first built,
and re-validating stored data against today's limits must never make it unreadable.
"""

from __future__ import annotations

from typing import Any

from adapters.django_orm.alerts import models as m
from adapters.django_orm.common import (
    float_from_json,
    float_to_json,
    nan_to_null,
    null_to_nan,
    pairs_from_json,
    pairs_to_json,
)
from domain.alerts.history import AlertDecision, Outcome, Stage
from domain.alerts.rules import ALERTNAME, AbsenceRule, AnomalyRule, ThresholdRule
from domain.alerts.silences import Recurrence, Silence
from domain.alerts.state import Alert, AlertState
from domain.metrics.labels import LabelSet
from domain.metrics.matchers import Matcher
from domain.metrics.query import Selector

AlertRule = ThresholdRule | AbsenceRule | AnomalyRule


def labels_to_json(labels: LabelSet) -> dict[str, str]:
    return labels.as_dict()


def labels_from_json(value: dict[str, str]) -> LabelSet:
    return LabelSet(tuple(sorted((str(k), str(v)) for k, v in (value or {}).items())))


# ----------------------------------------------------------------------------- rules


def rule_fields(rule: AlertRule) -> dict[str, Any]:
    """Column values for ``rule`` (everything but the surrogate key)."""
    if isinstance(rule, ThresholdRule):
        kind = m.Rule.Kind.THRESHOLD
        params: dict[str, Any] = {
            "aggregation": rule.aggregation.value,
            "window_ms": rule.window_ms,
            "comparison": rule.comparison.value,
            "threshold": float_to_json(rule.threshold),
            "q": rule.q,
        }
    elif isinstance(rule, AbsenceRule):
        kind, params = m.Rule.Kind.ABSENCE, {"absent_for_ms": rule.absent_for_ms}
    elif isinstance(rule, AnomalyRule):
        kind, params = m.Rule.Kind.ANOMALY, {"detector": rule.detector, "level": rule.level}
    else:
        raise TypeError(f"not an alert rule: {type(rule).__name__}")
    return {
        "tenant": rule.tenant,
        "rule_id": rule.id,
        "kind": kind.value,
        "name": rule.name,
        "selector": str(rule.selector),
        "for_ms": rule.for_ms,
        "keep_firing_for_ms": rule.keep_firing_for_ms,
        "labels": labels_to_json(rule.labels),
        "annotations": pairs_to_json(rule.annotations),
        "params": params,
        "group": rule.group,
        "enabled": rule.enabled,
        "version": rule.version,
        "updated_by": rule.updated_by,
        "updated_at_ms": rule.updated_at_ms,
    }


def rule_from_row(row: m.Rule) -> AlertRule:
    header: dict[str, Any] = {
        "id": row.rule_id,
        "tenant": row.tenant,
        "name": row.name,
        "selector": Selector.parse(row.selector),
        "for_ms": row.for_ms,
        "keep_firing_for_ms": row.keep_firing_for_ms,
        "labels": labels_from_json(row.labels),
        "annotations": pairs_from_json(row.annotations),
        "group": row.group,
        "enabled": row.enabled,
        "version": row.version,
        "updated_by": row.updated_by,
        "updated_at_ms": row.updated_at_ms,
    }
    p = row.params
    if row.kind == m.Rule.Kind.THRESHOLD:
        return ThresholdRule(
            **header, aggregation=p["aggregation"], window_ms=p["window_ms"], comparison=p["comparison"],
            threshold=float_from_json(p["threshold"]), q=p.get("q"),
        )
    if row.kind == m.Rule.Kind.ABSENCE:
        return AbsenceRule(**header, absent_for_ms=p["absent_for_ms"])
    if row.kind == m.Rule.Kind.ANOMALY:
        return AnomalyRule(**header, detector=p["detector"], level=float_from_json(p["level"]))
    raise ValueError(f"unknown rule kind {row.kind!r} in row {row.pk}")


# ---------------------------------------------------------------------------- alerts


def alert_fields(alert: Alert) -> dict[str, Any]:
    return {
        "tenant": alert.tenant,
        "fingerprint": alert.fingerprint,
        "rule_id": alert.rule_id,
        "alertname": alert.labels.get(ALERTNAME),
        "labels": labels_to_json(alert.labels),
        "annotations": pairs_to_json(alert.annotations),
        "state": alert.state.value,
        "active_at_ms": alert.active_at_ms,
        "fired_at_ms": alert.fired_at_ms,
        "resolved_at_ms": alert.resolved_at_ms,
        "keep_firing_since_ms": alert.keep_firing_since_ms,
        "last_eval_ms": alert.last_eval_ms,
        "value": nan_to_null(alert.value),
    }


def alert_from_row(row: m.Alert) -> Alert:
    return Alert(
        tenant=row.tenant,
        rule_id=row.rule_id,
        labels=labels_from_json(row.labels),
        fingerprint=row.fingerprint,
        annotations=pairs_from_json(row.annotations),
        state=AlertState(row.state),
        active_at_ms=row.active_at_ms,
        fired_at_ms=row.fired_at_ms,
        resolved_at_ms=row.resolved_at_ms,
        keep_firing_since_ms=row.keep_firing_since_ms,
        last_eval_ms=row.last_eval_ms,
        value=null_to_nan(row.value),
    )


# -------------------------------------------------------------------------- silences


def recurrence_to_json(r: Recurrence | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {
        "timezone": r.timezone,
        "weekdays": sorted(r.weekdays),
        "start_time": r.start_time,
        "duration_ms": r.duration_ms,
    }


def recurrence_from_json(value: dict[str, Any] | None) -> Recurrence | None:
    if value is None:
        return None
    return Recurrence(value["timezone"], frozenset(value["weekdays"]), value["start_time"], value["duration_ms"])


def silence_fields(s: Silence) -> dict[str, Any]:
    return {
        "tenant": s.tenant,
        "silence_id": s.id,
        "matchers": [[x.name, x.op.value, x.value] for x in s.matchers],
        "starts_at_ms": s.starts_at_ms,
        "ends_at_ms": s.ends_at_ms,
        "created_by": s.created_by,
        "comment": s.comment,
        "recurrence": recurrence_to_json(s.recurrence),
        "updated_at_ms": s.updated_at_ms,
    }


def silence_from_row(row: m.Silence) -> Silence:
    return Silence(
        id=row.silence_id,
        tenant=row.tenant,
        matchers=tuple(Matcher.of(name, op, value) for name, op, value in row.matchers),
        starts_at_ms=row.starts_at_ms,
        ends_at_ms=row.ends_at_ms,
        created_by=row.created_by,
        comment=row.comment,
        recurrence=recurrence_from_json(row.recurrence),
        updated_at_ms=row.updated_at_ms,
    )


# --------------------------------------------------------------------------- history


def decision_fields(d: AlertDecision) -> dict[str, Any]:
    return {
        "tenant": d.tenant, "fingerprint": d.fingerprint, "stage": d.stage.value, "outcome": d.outcome.value,
        "reason": d.reason, "at_ms": d.at_ms, "receiver": d.receiver, "group_key": d.group_key, "key": d.key,
    }


def decision_from_row(row: m.AlertDecision) -> AlertDecision:
    return AlertDecision(
        tenant=row.tenant, fingerprint=row.fingerprint, stage=Stage(row.stage), outcome=Outcome(row.outcome),
        reason=row.reason, at_ms=row.at_ms, receiver=row.receiver, group_key=row.group_key, key=row.key,
    )
