"""Where escalation policies, on-call schedules and people's contact details live."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from domain.incidents.escalation import EscalationPolicy
from domain.incidents.oncall import Schedule


@dataclass(frozen=True, slots=True)
class Contact:
    """How to reach one person: a notifier channel and its target configuration."""

    user: str
    channel: str
    target: Mapping[str, Any] = field(default_factory=dict)


class OnCallDirectory(Protocol):
    async def policy_for(self, tenant: str, severity: str) -> EscalationPolicy | None:
        """The escalation policy that applies to a new incident of this severity; None
        when the tenant has none (nobody is paged, and the incident says so)."""
        ...

    async def schedules(self, tenant: str, ids: Sequence[str]) -> list[Schedule]:
        """The schedules named (unknown ids are left out)."""
        ...

    async def contact(self, tenant: str, user: str) -> Contact | None: ...

    async def team_members(self, tenant: str, team_id: str) -> list[str] | None:
        """The members of a team (a policy's ``team`` target), by user id; None for an
        unknown team."""
        ...
