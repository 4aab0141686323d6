"""The tenant's notification routing, stored as configuration resources (ADR 0017,
docs/adr/0018-notification-routing.md): the routing tree, receivers, inhibit rules and
time intervals, each a versioned document.

The repository lives on the unit of work, so a change and its audit entry commit
together. Every change also raises the tenant's routing *revision* (one counter for all
four kinds): the Alertmanager import/export is versioned by it, and a revision of 0
says the tenant has never had a stored configuration (the JSON file seeds it, once).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class RoutingKind(str, enum.Enum):
    TREE = "tree"  # one per tenant, named ROOT
    RECEIVER = "receiver"
    INHIBIT_RULE = "inhibit_rule"
    TIME_INTERVAL = "time_interval"


ROOT = "root"  # the name of the tenant's one routing tree


@dataclass(frozen=True, slots=True)
class RoutingItem:
    """One stored routing document. ``document`` is JSON; a receiver's secret fields
    are sealed (``{"$sealed": "..."}``), never plain."""

    tenant: str
    kind: RoutingKind
    name: str
    document: Mapping[str, Any] = field(repr=False)
    version: int = 1
    updated_by: str = ""
    updated_at_ms: int = 0


class RoutingRepository(Protocol):
    def get(self, tenant: str, kind: RoutingKind, name: str) -> RoutingItem | None: ...

    def list(self, tenant: str, kind: RoutingKind) -> list[RoutingItem]:
        """The tenant's items of ``kind``, by name."""
        ...

    def add(self, item: RoutingItem) -> None:
        """Insert; ``Conflict`` if (tenant, kind, name) exists."""
        ...

    def replace(self, item: RoutingItem, expected_version: int) -> None:
        """Store ``item`` (its version is the new one) if the stored version is
        ``expected_version``: ``NotFound`` if there is none, ``Conflict`` (naming
        ``current_version``) if it moved on. One conditional UPDATE."""
        ...

    def delete(self, tenant: str, kind: RoutingKind, name: str, expected_version: int) -> None:
        """Remove it if still at ``expected_version`` (``NotFound``, ``Conflict`` as above)."""
        ...

    def revision(self, tenant: str) -> int:
        """The tenant's routing revision: 0 if nothing was ever stored."""
        ...

    def bump(self, tenant: str, expected: int | None = None) -> int:
        """Raise the revision by one and answer it; with ``expected``, only if it is
        still ``expected`` (else ``Conflict`` naming ``current_version``)."""
        ...
