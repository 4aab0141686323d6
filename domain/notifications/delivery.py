"""The delivery audit: one ``Delivery`` per notification sent anywhere, with every
attempt to send it: an alert group's notification to a receiver's channel, and a page,
reminder or approval request to a person (the incident workflows'). One type, one
ledger, one retry policy and one audit for both (docs/adr/0014-one-alert-path.md), so
"who was told what, when, and did it arrive" has one answer.

The key is the notification's idempotency key: a retried task, a redelivered message or
a second worker replica finds the delivery already ``sent`` and sends nothing. Once
sent, a delivery stays sent: later attempts (duplicates) are recorded for the audit but
never change its status.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from domain.errors import ValidationError


class DeliveryStatus(str, enum.Enum):
    QUEUED = "queued"
    RETRYING = "retrying"  # an attempt failed; the task queue will try again
    SENT = "sent"
    FAILED = "failed"  # gave up: a permanent error, or the retries ran out


class AttemptOutcome(str, enum.Enum):
    SENT = "sent"
    FAILED = "failed"  # the far side refused or could not be reached
    REFUSED = "refused"  # we refused to send (private address, unknown channel, bad config)
    DUPLICATE = "duplicate"  # already sent by an earlier attempt or another worker: nothing sent
    BUSY = "busy"  # another worker is sending it right now: try again later


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    number: int
    at_ms: int
    outcome: AttemptOutcome
    status_code: int | None = None
    detail: str = ""
    duration_ms: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "outcome", AttemptOutcome(self.outcome))


@dataclass(eq=False, slots=True)
class Delivery:
    """An entity: identity ``(tenant, key)``. To a receiver (``receiver``, its
    ``channel`` by name and ``channel_type``: webhook, slack, ...) for an alert group
    (``group_key``, ``alerts``), or to a person (``recipient``; the channel is theirs,
    known from the first attempt) about an incident (``incident_id``). ``subject`` says
    what it was about. No secrets here: the audit is readable by every viewer of the
    tenant."""

    key: str
    tenant: str
    receiver: str
    channel: str
    channel_type: str
    group_key: str
    notification_at_ms: int
    created_at_ms: int
    alerts: tuple[str, ...] = ()
    status: DeliveryStatus = DeliveryStatus.QUEUED
    updated_at_ms: int = 0
    attempts: tuple[DeliveryAttempt, ...] = field(default_factory=tuple)
    recipient: str = ""
    incident_id: str = ""
    subject: str = ""

    def __post_init__(self) -> None:
        if not self.key or not self.tenant:
            raise ValidationError("a delivery needs a key and a tenant", field="key")
        self.status = DeliveryStatus(self.status)
        self.alerts = tuple(self.alerts)
        self.attempts = tuple(self.attempts)
        self.updated_at_ms = max(self.updated_at_ms, self.created_at_ms)

    @property
    def to(self) -> str:
        """Who: the person, else the receiver."""
        return self.recipient or self.receiver

    @property
    def sent(self) -> bool:
        return self.status is DeliveryStatus.SENT

    @property
    def tries(self) -> int:
        """Attempts that actually tried the far side (duplicates and busy ones do not count)."""
        return sum(1 for a in self.attempts if a.outcome in (AttemptOutcome.SENT, AttemptOutcome.FAILED, AttemptOutcome.REFUSED))

    def record(
        self,
        outcome: AttemptOutcome | str,
        at_ms: int,
        *,
        status_code: int | None = None,
        detail: str = "",
        duration_ms: int = 0,
        give_up: bool = False,
    ) -> DeliveryAttempt:
        """Add an attempt and move the status. ``give_up``: a failure is final."""
        attempt = DeliveryAttempt(len(self.attempts) + 1, at_ms, AttemptOutcome(outcome), status_code, detail[:500], duration_ms)
        self.attempts = self.attempts + (attempt,)
        self.updated_at_ms = max(self.updated_at_ms, at_ms)
        if self.status is DeliveryStatus.SENT:
            return attempt  # sent stays sent
        if attempt.outcome in (AttemptOutcome.SENT, AttemptOutcome.DUPLICATE):
            self.status = DeliveryStatus.SENT
        elif attempt.outcome is AttemptOutcome.REFUSED:
            self.status = DeliveryStatus.FAILED
        elif attempt.outcome is AttemptOutcome.FAILED:
            self.status = DeliveryStatus.FAILED if give_up else DeliveryStatus.RETRYING
        return attempt
