"""Notification channels: webhook, Slack, Teams, email, PagerDuty, ..."""

from __future__ import annotations

import enum
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
    refused: bool = False  # we would not send it (a private address, a bad setting): not the far side's answer


class Notifier(Protocol):
    def channels(self) -> frozenset[str]: ...

    async def send(self, notification: OutgoingNotification) -> DeliveryResult: ...


class Claim(str, enum.Enum):
    CLAIMED = "claimed"  # you may send now; nobody else will until you finish or the claim expires
    SENT = "sent"  # already delivered: send nothing
    BUSY = "busy"  # someone else is sending it right now: try again later


class DeliveryLedger(Protocol):
    """Who may send a notification, across every worker process: the last guard against
    sending twice. Backed by Redis (``SET NX``) with Celery, in memory otherwise."""

    async def claim(self, key: str, owner: str, ttl_s: float) -> Claim: ...

    async def mark_sent(self, key: str, owner: str) -> None:
        """Remember ``key`` as delivered (for good) and drop the owner's claim."""
        ...

    async def release(self, key: str, owner: str) -> None:
        """Give up the claim without delivering (the attempt failed): a retry may claim it."""
        ...
