"""Notifying a person exactly once per idempotency key, whatever the retries.

Workflow activities are retried (and re-run after a worker dies), so every page,
reminder and approval request goes through ``UserNotifications.deliver``: it claims
the key in the ``DeliveryLedger`` first (a key already delivered is never sent again;
one being sent by another worker is retried later) and marks it sent after; the key
also travels with the notification, so a deduplicating channel closes the window
between "sent" and "marked".

A failure the channel calls retryable raises ``DeliveryFailed`` (the activity fails
and Temporal retries it); any other failure is reported, so one bad address never
stalls an escalation.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ports.notify import Claim, DeliveryLedger, Notifier, OutgoingNotification
from ports.oncall import Contact, OnCallDirectory

log = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """Worth retrying: the channel failed transiently, or another worker holds the key."""


@dataclass(frozen=True)
class Delivery:
    key: str
    recipient: str
    channel: str
    delivered: bool
    detail: str = ""
    duplicate: bool = False


@dataclass(frozen=True)
class UserMessage:
    """A notification for one user of a tenant (the activity input)."""

    tenant: str
    user: str
    key: str
    subject: str
    body: str
    payload: Mapping[str, Any] = field(default_factory=dict)


class UserNotifications:
    def __init__(self, directory: OnCallDirectory, notifier: Notifier, ledger: DeliveryLedger,
                 fallback_channel: str = "log", claim_ttl_s: float = 60.0) -> None:
        self._directory = directory
        self._notifier = notifier
        self._ledger = ledger
        self._fallback = fallback_channel
        self._ttl = claim_ttl_s

    async def contact(self, tenant: str, user: str) -> Contact:
        found = await self._directory.contact(tenant, user)
        return found or Contact(user, self._fallback, {})

    async def to_user(self, msg: UserMessage) -> Delivery:
        contact = await self.contact(msg.tenant, msg.user)
        note = OutgoingNotification(
            idempotency_key=msg.key, channel=contact.channel, target={**contact.target, "user": msg.user},
            subject=msg.subject, body=msg.body, payload={"tenant": msg.tenant, **msg.payload},
        )
        return await self.deliver(note, msg.user)

    async def deliver(self, note: OutgoingNotification, recipient: str) -> Delivery:
        key = note.idempotency_key
        owner = f"{recipient}:{secrets.token_hex(6)}"
        claim = await self._ledger.claim(key, owner, self._ttl)
        if claim is Claim.SENT:
            return Delivery(key, recipient, note.channel, True, "already delivered", duplicate=True)
        if claim is Claim.BUSY:
            raise DeliveryFailed(f"{key} is being sent by another worker")
        if note.channel not in self._notifier.channels():
            await self._ledger.release(key, owner)
            return self._failed(note, recipient, f"no notifier serves channel {note.channel!r}")
        try:
            result = await self._notifier.send(note)
        except Exception as e:
            await self._ledger.release(key, owner)
            raise DeliveryFailed(f"{note.channel} to {recipient}: {type(e).__name__}: {e}") from e
        if result.delivered:
            await self._ledger.mark_sent(key, owner)
            return Delivery(key, recipient, note.channel, True, result.detail)
        await self._ledger.release(key, owner)
        if result.retryable:
            raise DeliveryFailed(f"{note.channel} to {recipient}: {result.detail or result.status_code}")
        return self._failed(note, recipient, result.detail or f"status {result.status_code}")

    def _failed(self, note: OutgoingNotification, recipient: str, detail: str) -> Delivery:
        log.warning("notification %s to %s not delivered: %s", note.idempotency_key, recipient, detail)
        return Delivery(note.idempotency_key, recipient, note.channel, False, detail)
