"""Alert history: every decision the alert pipeline takes about an alert, and why.

Users ask "why was I (not) paged?". Alertmanager answers it only through logs; we keep
each decision as a value (which stage, what it did, why, for which receiver) and store
it, so ``GET /api/v1/alerts/{fingerprint}/history`` can tell the story of an alert:
deduplicated, silenced by which silence, inhibited by which alert, grouped into which
group, routed to whom, queued and delivered (or not) on which channel.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from domain.errors import ValidationError


class Stage(str, enum.Enum):
    """The pipeline stages, in the order an alert meets them."""

    DEDUP = "dedup"
    SILENCE = "silence"
    INHIBIT = "inhibit"
    INCIDENT = "incident"
    ROUTE = "route"
    GROUP = "group"
    NOTIFY = "notify"


class Outcome(str, enum.Enum):
    DUPLICATE = "duplicate"  # a transition already processed (the bus delivers at least once)
    IGNORED = "ignored"  # pending/inactive transitions do not act
    SILENCED = "silenced"
    UNSILENCED = "unsilenced"  # the silence or maintenance window ended while it still fired
    INHIBITED = "inhibited"
    UNINHIBITED = "uninhibited"
    INCIDENT_OPENED = "incident_opened"
    INCIDENT_UPDATED = "incident_updated"
    RESOLVED = "resolved"
    ROUTED = "routed"
    GROUPED = "grouped"
    QUEUED = "queued"  # a notification carrying it was queued for a receiver channel
    SKIPPED = "skipped"  # a channel that does not want it (send_resolved off)
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class AlertDecision:
    """One decision about one alert. ``at_ms`` is when it was taken (processing time).

    ``receiver``, ``group_key`` and ``key`` (the notification's idempotency key) are
    filled by the stages where they mean something, empty elsewhere.
    """

    tenant: str
    fingerprint: str
    stage: Stage
    outcome: Outcome
    reason: str
    at_ms: int
    receiver: str = ""
    group_key: str = ""
    key: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "stage", Stage(self.stage))
        object.__setattr__(self, "outcome", Outcome(self.outcome))
        if not self.tenant or not self.fingerprint:
            raise ValidationError("a decision needs a tenant and a fingerprint", field="fingerprint")
