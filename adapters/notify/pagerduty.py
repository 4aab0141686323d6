"""PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/).

A notification with firing alerts *triggers*, one whose alerts all resolved *resolves*;
both under ``dedup_key = "<tenant>/<group key>"``, so PagerDuty keeps one incident per
alert group and folds repeats into it. (The tenant is part of the key because group
keys depend on labels only and one routing key may serve several tenants.) The
``routing_key`` (integration key) comes from the receiver's configuration. 202 means
accepted; 400 is final; 429 and 5xx are retried.
"""

from __future__ import annotations

from datetime import datetime, timezone

from adapters.notify.http import HttpChannel, dumps
from ports.notify import OutgoingNotification

SEVERITIES = ("critical", "error", "warning", "info")
_MAP = {"critical": "critical", "page": "critical", "sev1": "critical", "sev2": "critical", "high": "error",
        "error": "error", "major": "error", "warning": "warning", "warn": "warning", "sev3": "warning", "minor": "warning",
        "info": "info", "low": "info", "sev4": "info", "sev5": "info"}


def dedup_key(payload: dict) -> str:
    return f"{payload.get('tenant', '')}/{payload.get('group_key', '')}"


def severity(n: OutgoingNotification) -> str:
    configured = str(n.target.get("severity") or "").lower()
    if configured in SEVERITIES:
        return configured
    label = str(dict(n.payload.get("common_labels", {})).get("severity", "")).lower()
    return _MAP.get(label, "error")


def event(n: OutgoingNotification) -> dict:
    p = dict(n.payload)
    doc: dict = {"routing_key": str(n.target["routing_key"]), "dedup_key": dedup_key(p)}
    if p.get("status") != "firing":
        doc["event_action"] = "resolve"
        return doc
    at_ms = int(p.get("at_ms") or 0)
    doc |= {
        "event_action": "trigger",
        "client": str(n.target.get("client") or "Observer-Eye"),
        "payload": {
            "summary": n.subject[:1024],
            "source": str(n.target.get("source") or f"observer-eye/{p.get('tenant', '')}"),
            "severity": severity(n),
            "timestamp": datetime.fromtimestamp(at_ms / 1000, tz=timezone.utc).isoformat(),
            "custom_details": {"text": n.body, "group_labels": p.get("group_labels", {}), "alerts": p.get("alerts", [])},
        },
    }
    group = str(dict(p.get("group_labels", {})).get("alertname", ""))
    if group:
        doc["payload"]["group"] = group
    if n.target.get("client_url"):
        doc["client_url"] = str(n.target["client_url"])
    return doc


class PagerDutyNotifier(HttpChannel):
    channel = "pagerduty"

    def build(self, n: OutgoingNotification) -> tuple[str, bytes, dict[str, str]]:
        return str(n.target["url"]), dumps(event(n)), {}
