"""Teams: named groups of a tenant's users (schedules and routing name them later)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from domain.errors import LimitExceeded, ValidationError
from domain.identity.tenants import validate_name, validate_tenant_id

MAX_TEAM_ID_LENGTH = 64
MAX_DESCRIPTION_LENGTH = 1000
MAX_MEMBERS = 1000
_TEAM_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def validate_team_id(value: object, *, field: str = "id") -> str:
    if not isinstance(value, str) or not _TEAM_ID_RE.fullmatch(value):
        raise ValidationError(f"invalid team id {value!r}: 1-64 of a-z 0-9 _ -, starting with a letter or digit",
                              field=field)
    return value


@dataclass(frozen=True, slots=True)
class Team:
    id: str
    tenant: str
    name: str
    description: str = ""
    members: frozenset[str] = frozenset()  # user ids

    def __post_init__(self) -> None:
        validate_team_id(self.id)
        validate_tenant_id(self.tenant)
        object.__setattr__(self, "name", validate_name(self.name))
        if not isinstance(self.description, str) or len(self.description) > MAX_DESCRIPTION_LENGTH:
            raise ValidationError(f"description must be text of at most {MAX_DESCRIPTION_LENGTH} characters",
                                  field="description")
        members: Iterable[object] = self.members
        if isinstance(members, str) or not all(isinstance(m, str) and m for m in members):
            raise ValidationError("members must be user ids", field="members")
        object.__setattr__(self, "members", frozenset(self.members))
        if len(self.members) > MAX_MEMBERS:
            raise LimitExceeded(f"{len(self.members)} members, over the limit of {MAX_MEMBERS}", field="members",
                                limit="max_team_members", value=MAX_MEMBERS)

    def with_member(self, user_id: str) -> "Team":
        return replace(self, members=self.members | {user_id})

    def without_member(self, user_id: str) -> "Team":
        return replace(self, members=self.members - {user_id})
