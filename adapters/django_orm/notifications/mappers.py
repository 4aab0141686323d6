"""Rows of ``oe_notifications`` <-> ``domain.notifications.delivery.Delivery``."""

from __future__ import annotations

from typing import Any

from adapters.django_orm.notifications import models as m
from domain.notifications.delivery import AttemptOutcome, Delivery, DeliveryAttempt, DeliveryStatus


def attempt_to_json(a: DeliveryAttempt) -> dict[str, Any]:
    return {"number": a.number, "at_ms": a.at_ms, "outcome": a.outcome.value, "status_code": a.status_code,
            "detail": a.detail, "duration_ms": a.duration_ms}


def attempt_from_json(d: dict[str, Any]) -> DeliveryAttempt:
    return DeliveryAttempt(d["number"], d["at_ms"], AttemptOutcome(d["outcome"]), d.get("status_code"),
                           d.get("detail", ""), d.get("duration_ms", 0))


def delivery_fields(d: Delivery) -> dict[str, Any]:
    return {
        "tenant": d.tenant,
        "key": d.key,
        "receiver": d.receiver,
        "channel": d.channel,
        "channel_type": d.channel_type,
        "group_key": d.group_key,
        "notification_at_ms": d.notification_at_ms,
        "created_at_ms": d.created_at_ms,
        "updated_at_ms": d.updated_at_ms,
        "status": d.status.value,
        "alerts": list(d.alerts),
        "attempts": [attempt_to_json(a) for a in d.attempts],
        "recipient": d.recipient,
        "incident_id": d.incident_id,
        "subject": d.subject[:500],
    }


def delivery_from_row(row: m.Delivery) -> Delivery:
    return Delivery(
        key=row.key,
        tenant=row.tenant,
        receiver=row.receiver,
        channel=row.channel,
        channel_type=row.channel_type,
        group_key=row.group_key,
        notification_at_ms=row.notification_at_ms,
        created_at_ms=row.created_at_ms,
        alerts=tuple(row.alerts),
        status=DeliveryStatus(row.status),
        updated_at_ms=row.updated_at_ms,
        attempts=tuple(attempt_from_json(a) for a in row.attempts),
        recipient=row.recipient,
        incident_id=row.incident_id,
        subject=row.subject,
    )
