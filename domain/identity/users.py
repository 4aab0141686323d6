"""Users: a person in one tenant, with one role.

Email validation is deliberately simple (one ``@``, a non-empty local part, a dotted
domain, no whitespace, at most 254 characters): the only real proof that an address
works is a message delivered to it, and stricter RFC 5322 parsing rejects addresses
people actually use. The domain part is lower-cased (domains are case-insensitive), the
local part kept as typed (it may be case-sensitive).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import ValidationError
from domain.identity.permissions import Role
from domain.identity.principal import Principal
from domain.identity.tenants import validate_name, validate_tenant_id

MAX_EMAIL_LENGTH = 254
MAX_USER_ID_LENGTH = 128
_EMAIL_RE = re.compile(r"^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$")


def normalize_email(value: object, *, field: str = "email") -> str:
    """Return the normalized address or raise ``ValidationError`` naming ``field``."""
    if not isinstance(value, str):
        raise ValidationError("email must be a string", field=field)
    value = value.strip()
    if len(value) > MAX_EMAIL_LENGTH:
        raise ValidationError(f"email is over {MAX_EMAIL_LENGTH} characters", field=field)
    if not _EMAIL_RE.match(value) or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValidationError(f"invalid email address {value!r}", field=field)
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


@dataclass(frozen=True, slots=True)
class User:
    id: str
    tenant: str
    email: str
    name: str
    role: Role

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip() or len(self.id) > MAX_USER_ID_LENGTH:
            raise ValidationError(f"user id must be 1-{MAX_USER_ID_LENGTH} characters", field="id")
        validate_tenant_id(self.tenant)
        object.__setattr__(self, "email", normalize_email(self.email))
        object.__setattr__(self, "name", validate_name(self.name))
        object.__setattr__(self, "role", Role.parse(self.role))

    def principal(self) -> Principal:
        """The principal a signed-in user acts as: limited by role, no scopes."""
        return Principal(tenant=self.tenant, subject=self.id, role=self.role)
