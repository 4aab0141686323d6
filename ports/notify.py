"""Notification channels: webhook, Slack, Teams, email, PagerDuty, ..."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class OutgoingNotification:
    idempotency_key: str
    channel: str  # "webhook", "slack", "email", ...
    target: Mapping[str, Any]  # channel configuration (URL, address, routing key...)
    subject: str
    body: str
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    delivered: bool
    status_code: int | None = None
    detail: str = ""
    retryable: bool = False


class Notifier(Protocol):
    def channels(self) -> frozenset[str]: ...

    async def send(self, notification: OutgoingNotification) -> DeliveryResult: ...
