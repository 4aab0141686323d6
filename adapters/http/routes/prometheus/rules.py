"""``rules`` and ``alerts`` in Prometheus' shapes. ``rules`` lists the tenant's PromQL
rule groups with how their last evaluation went, and, as one more group, the
streaming rules, each described by the PromQL closest to what it evaluates (an
anomaly rule has none: its selector, and a comment naming the detector)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from adapters.http.deps import ApiServices, require, services
from adapters.http.routes.prometheus.common import PromApiError, invalid_parameter, prometheus_errors, success
from domain.alerts.rule_groups import AlertingRule, GroupStatus, RuleStatus
from domain.alerts.rules import AbsenceRule, AnomalyRule, ThresholdRule
from domain.alerts.state import Alert, AlertState
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from domain.metrics.aggregations import Aggregation
from domain.templating.gofmt import format_e
from ports.repositories import AlertRule
from services.promrules.groups import ACTIVE

router = APIRouter(tags=["prometheus"])
Reader = Annotated[Principal, Depends(require(Permission.READ_ALERTS))]
Services = Annotated[ApiServices, Depends(services)]
ZERO_TIME = "0001-01-01T00:00:00Z"  # Go's zero time.Time, what Prometheus shows before a first evaluation
STREAMING_GROUP = "observer-eye streaming rules"
_OVER_TIME = {Aggregation.AVG: "avg_over_time", Aggregation.MIN: "min_over_time", Aggregation.MAX: "max_over_time",
              Aggregation.SUM: "sum_over_time", Aggregation.COUNT: "count_over_time", Aggregation.LAST: "last_over_time",
              Aggregation.RATE: "rate", Aggregation.INCREASE: "increase"}
_STATE_ORDER = {AlertState.FIRING: 2, AlertState.PENDING: 1}


def go_time(ms: int | None) -> str:
    """A time as Go's JSON writes a UTC ``time.Time`` (RFC 3339, fraction trimmed)."""
    if ms is None:
        return ZERO_TIME
    at = datetime.fromtimestamp(ms // 1000, tz=timezone.utc)
    frac = f".{ms % 1000:03d}".rstrip("0") if ms % 1000 else ""
    return at.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"


def alert_out(alert: Alert) -> dict:
    out = {"labels": alert.labels.as_dict(), "annotations": dict(alert.annotations), "state": alert.state.value,
           "activeAt": go_time(alert.active_at_ms), "value": format_e(alert.value)}
    if alert.keep_firing_since_ms is not None:
        out["keepFiringSince"] = go_time(alert.keep_firing_since_ms)
    return out


def _state(alerts: list[Alert]) -> str:
    top = max((_STATE_ORDER.get(a.state, 0) for a in alerts), default=0)
    return {2: "firing", 1: "pending"}.get(top, "inactive")


def streaming_query(rule: AlertRule) -> str:
    """The PromQL a streaming rule's condition amounts to."""
    selector = str(rule.selector)
    if isinstance(rule, ThresholdRule):
        window = f"{rule.window_ms}ms" if rule.window_ms % 1000 else f"{rule.window_ms // 1000}s"
        if rule.aggregation is Aggregation.QUANTILE:
            inner = f"quantile_over_time({rule.q:g}, {selector}[{window}])"
        else:
            inner = f"{_OVER_TIME[rule.aggregation]}({selector}[{window}])"
        return f"{inner} {rule.comparison.value} {rule.threshold:g}"
    if isinstance(rule, AbsenceRule):
        return f"absent_over_time({selector}[{rule.absent_for_ms // 1000}s])"
    assert isinstance(rule, AnomalyRule)
    return f"{selector} # anomaly score of detector {rule.detector!r} >= {rule.level:g}"


def _rule_status(status: GroupStatus | None, rule_id: str) -> RuleStatus:
    return (status.rules.get(rule_id) if status else None) or RuleStatus()


@router.get("/rules", summary="Rule groups and their rules (Prometheus API)")
@prometheus_errors
async def rules(request: Request, principal: Reader, svc: Services) -> Response:
    kind = request.query_params.get("type", "").lower()
    if kind not in ("", "alert", "record"):
        raise invalid_parameter("type", f'not supported value "{kind}"')
    if svc.rule_groups is None:
        raise PromApiError("unavailable", "PromQL rules are not configured in this process")
    view = await svc.rule_groups.overview(principal.tenant)
    groups = []
    for group in view.groups:
        status = view.statuses.get(group.name)
        out_rules = []
        for rule_id, rule in zip(group.rule_ids(), group.rules):
            st = _rule_status(status, rule_id)
            common = {"name": rule.name, "query": rule.expr, "health": st.health,
                      "evaluationTime": st.evaluation_s, "lastEvaluation": go_time(st.last_evaluation_ms)}
            if st.last_error:
                common["lastError"] = st.last_error
            if isinstance(rule, AlertingRule):
                if kind == "record":
                    continue
                alerts = view.alerts.get(rule_id, [])
                out_rules.append({"state": _state(alerts), **common, "duration": rule.for_ms / 1000,
                                  "keepFiringFor": rule.keep_firing_for_ms / 1000, "labels": dict(rule.labels),
                                  "annotations": dict(rule.annotations), "alerts": [alert_out(a) for a in alerts],
                                  "type": "alerting"})
            elif kind != "alert":
                out_rules.append({**common, **({"labels": dict(rule.labels)} if rule.labels else {}), "type": "recording"})
        groups.append({"name": group.name, "file": group.source or "observer-eye", "rules": out_rules,
                       "interval": group.interval(svc.rule_interval_ms) / 1000, "limit": group.limit,
                       "evaluationTime": status.evaluation_s if status else 0.0,
                       "lastEvaluation": go_time(status.last_evaluation_ms if status else None)})
    if view.streaming and kind != "record":
        streaming = []
        for rule in view.streaming:
            alerts = view.alerts.get(rule.id, [])
            streaming.append({"state": _state(alerts), "name": rule.name, "query": streaming_query(rule),
                              "duration": rule.for_ms / 1000, "keepFiringFor": rule.keep_firing_for_ms / 1000,
                              "labels": rule.labels.as_dict(), "annotations": dict(rule.annotations),
                              "alerts": [alert_out(a) for a in alerts], "health": "ok", "evaluationTime": 0.0,
                              "lastEvaluation": ZERO_TIME, "type": "alerting"})
        groups.append({"name": STREAMING_GROUP, "file": "observer-eye streaming", "rules": streaming, "interval": 0.0,
                       "limit": 0, "evaluationTime": 0.0, "lastEvaluation": ZERO_TIME})
    return success({"groups": groups})


@router.get("/alerts", summary="Active alerts of every rule (Prometheus API)")
@prometheus_errors
async def alerts(principal: Reader, svc: Services) -> Response:
    active = await svc.alerts.alerts(principal.tenant, list(ACTIVE))
    return success({"alerts": [alert_out(a) for a in active]})

