"""Tenants: the isolation boundary every entity and every series belongs to.

A tenant id travels far: URL paths, Kafka message keys, metric labels, Redis keys,
Kubernetes namespace names. So it is a DNS label (RFC 1123): lower-case letters, digits
and hyphens, 1-63 characters, not starting or ending with a hyphen. That is a strict
subset of ``[a-z0-9-]{1,63}``, chosen so an id is safe in every one of those places.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace

from domain.errors import ValidationError

TENANT_ID_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MAX_NAME_LENGTH = 200


def validate_tenant_id(value: object, *, field: str = "tenant") -> str:
    """Return ``value`` if it is a valid tenant id; raise ``ValidationError`` naming ``field``."""
    if not isinstance(value, str) or not TENANT_ID_RE.fullmatch(value):
        raise ValidationError(
            f"invalid tenant id {value!r}: use 1-63 lower-case letters, digits or hyphens, "
            "not starting or ending with a hyphen",
            field=field,
        )
    return value


def validate_name(value: object, *, field: str = "name", max_length: int = MAX_NAME_LENGTH) -> str:
    """A human-readable display name: non-blank, trimmed, bounded, no control characters."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{field} must be a non-empty string", field=field)
    value = value.strip()
    if len(value) > max_length:
        raise ValidationError(f"{field} is {len(value)} characters, over the limit of {max_length}", field=field)
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValidationError(f"{field} must not contain control characters", field=field)
    return value


def check_ms(value: object, field: str) -> None:
    """A timestamp or duration in milliseconds: a non-negative integer (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{field} must be a non-negative integer of milliseconds", field=field)


class TenantStatus(str, enum.Enum):
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


@dataclass(frozen=True, slots=True)
class Tenant:
    """An organisation using the platform; ``id`` is the slug every record is keyed by.

    A deactivated tenant keeps its data, but none of its credentials (sessions, API
    keys, bearer JWTs) is accepted and nobody can sign in to it.
    """

    id: str
    name: str
    status: TenantStatus = TenantStatus.ACTIVE
    created_at_ms: int = 0
    deactivated_at_ms: int | None = None

    def __post_init__(self) -> None:
        validate_tenant_id(self.id, field="id")
        object.__setattr__(self, "name", validate_name(self.name))
        try:
            object.__setattr__(self, "status", TenantStatus(self.status))
        except ValueError:
            raise ValidationError(f"unknown tenant status {self.status!r}", field="status") from None
        check_ms(self.created_at_ms, "created_at_ms")
        if self.deactivated_at_ms is not None:
            check_ms(self.deactivated_at_ms, "deactivated_at_ms")

    @property
    def active(self) -> bool:
        return self.status is TenantStatus.ACTIVE

    def deactivate(self, now_ms: int) -> "Tenant":
        """The deactivated tenant (idempotent: the first deactivation time is kept)."""
        check_ms(now_ms, "deactivated_at_ms")
        if not self.active:
            return self
        return replace(self, status=TenantStatus.DEACTIVATED, deactivated_at_ms=now_ms)

    def reactivate(self) -> "Tenant":
        return replace(self, status=TenantStatus.ACTIVE, deactivated_at_ms=None)
