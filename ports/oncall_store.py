"""Where escalation policies and on-call schedules are stored: one repository in the unit
of work (``uow.oncall``), so a change and its audit entry commit together.

A record holds the resource's document (``domain.incidents.oncall_documents``: written
by the service after the domain validated it) and a ``version`` for optimistic
concurrency (docs/adr/0017-configuration-resources.md): a write names the version it
read, and a stale one is refused with ``Conflict`` naming the stored version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

POLICY = "policy"
SCHEDULE = "schedule"
KINDS = (POLICY, SCHEDULE)


@dataclass(frozen=True, slots=True)
class OnCallRecord:
    tenant: str
    kind: str  # POLICY or SCHEDULE
    id: str
    name: str
    document: Mapping[str, Any]  # the resource as JSON (oncall_documents.*_document)
    version: int = 1
    updated_by: str = ""
    updated_at_ms: int = 0


@dataclass(frozen=True, slots=True)
class CalendarFeed:
    """A person's calendar feed of their shifts, reached by a secret URL; only the
    token's hash is kept (``domain.identity.hash_token``)."""

    id: str
    tenant: str
    user: str  # whose shifts it shows (a user id or username, as in the schedules)
    token_hash: str
    created_by: str
    created_at_ms: int


class OnCallRepository(Protocol):
    def add(self, record: OnCallRecord) -> None:
        """Insert; ``Conflict`` if (tenant, kind, id) exists."""
        ...

    def get(self, tenant: str, kind: str, resource_id: str) -> OnCallRecord | None: ...

    def list(self, tenant: str, kind: str, *, after: str | None = None, limit: int | None = None) -> list[OnCallRecord]:
        """The tenant's records of ``kind`` ordered by id, those after ``after`` only,
        at most ``limit`` (every one when None)."""
        ...

    def replace(self, record: OnCallRecord, expected_version: int) -> None:
        """Store ``record`` if the stored one is at ``expected_version``; ``Conflict``
        (with ``current_version``) if it moved on, ``NotFound`` if it is gone."""
        ...

    def delete(self, tenant: str, kind: str, resource_id: str, expected_version: int | None = None) -> bool:
        """Remove; False if absent. With ``expected_version``, ``Conflict`` if it moved on."""
        ...

    def count(self, tenant: str) -> int:
        """How many policies and schedules the tenant has."""
        ...

    def claim_seed(self, tenant: str, at_ms: int) -> bool:
        """Mark the tenant as seeded from the file; True only for the first call ever
        (the file seeds a tenant once, never again after its resources were deleted)."""
        ...

    # -- calendar feeds ----------------------------------------------------------

    def add_feed(self, feed: CalendarFeed) -> None: ...

    def feed_by_hash(self, token_hash: str) -> CalendarFeed | None:
        """The feed of a token, whichever tenant it belongs to (the URL names no tenant)."""
        ...

    def feeds(self, tenant: str, user: str | None = None) -> list[CalendarFeed]:
        """The tenant's feeds (of ``user`` only, when given), oldest first."""
        ...

    def delete_feed(self, tenant: str, feed_id: str) -> bool: ...
