"""The audit log: who changed what, in which tenant, when, from where.

Entries are append-only. Their ids start with the time (13 digits of milliseconds),
so sorting by id is sorting by time, and an id is a stable paging cursor ("older than
this one") on every store. ``before`` and ``after`` are JSON snapshots of the changed
object where one exists (never secrets: the callers pass what the API would show).
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.errors import ValidationError
from domain.identity.tenants import check_ms, validate_tenant_id

MAX_ACTION_LENGTH = 64
MAX_TARGET_LENGTH = 255
MAX_PAGE = 1000
_ACTION_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_ID_RE = re.compile(r"^\d{13}-[0-9a-f]{12}$")


def new_audit_id(at_ms: int) -> str:
    check_ms(at_ms, "at_ms")
    return f"{at_ms:013d}-{secrets.token_hex(6)}"


def validate_action(value: object, *, field: str = "action") -> str:
    """Dotted lower-case words: ``user.invite``, ``api_key.rotate``, ``http.post``."""
    if not isinstance(value, str) or len(value) > MAX_ACTION_LENGTH or not _ACTION_RE.fullmatch(value):
        raise ValidationError(f"invalid audit action {value!r}: dotted lower-case words like user.invite",
                              field=field)
    return value


def plain_json(value: Any, *, field: str, depth: int = 0) -> Any:
    """``value`` as plain JSON (dicts with string keys, lists, finite numbers, strings,
    booleans, null): tuples and sets become lists, so every store returns the same."""
    if depth > 16:
        raise ValidationError("audit snapshot nested too deep", field=field)
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError("audit snapshots hold finite numbers only", field=field)
        return value
    if isinstance(value, Mapping):
        return {str(k): plain_json(v, field=field, depth=depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(v, field=field, depth=depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain_json(v, field=field, depth=depth + 1) for v in value), key=repr)
    raise ValidationError(f"audit snapshots hold JSON values, not {type(value).__name__}", field=field)


def _text(value: object, limit: int, name: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string", field=name)
    return value[:limit]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: str
    tenant: str
    at_ms: int
    actor: str  # principal subject: a user id, api_key:<id>, jwt:<provider>:<sub>, cli:<os user>
    action: str
    target: str = ""  # what was acted on: user:<id>, api_key:<id>, the request path
    actor_name: str = ""  # username or key name, for people reading the log
    actor_tenant: str = ""  # set when the actor belongs to another tenant (a platform admin)
    remote_addr: str = ""
    status: int | None = None  # the HTTP status, for entries recorded per request
    before: Any = field(default=None, compare=False)
    after: Any = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _ID_RE.fullmatch(self.id):
            raise ValidationError("audit id must be new_audit_id's form", field="id")
        validate_tenant_id(self.tenant)
        check_ms(self.at_ms, "at_ms")
        object.__setattr__(self, "actor", _text(self.actor, 255, "actor"))
        if not self.actor:
            raise ValidationError("an audit entry needs its actor", field="actor")
        validate_action(self.action)
        object.__setattr__(self, "target", _text(self.target, MAX_TARGET_LENGTH, "target"))
        object.__setattr__(self, "actor_name", _text(self.actor_name, 255, "actor_name"))
        if self.actor_tenant:
            validate_tenant_id(self.actor_tenant, field="actor_tenant")
        object.__setattr__(self, "remote_addr", _text(self.remote_addr, 64, "remote_addr"))
        if self.status is not None and (isinstance(self.status, bool) or not isinstance(self.status, int)):
            raise ValidationError("status must be an HTTP status code", field="status")
        object.__setattr__(self, "before", plain_json(self.before, field="before"))
        object.__setattr__(self, "after", plain_json(self.after, field="after"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "tenant": self.tenant, "at_ms": self.at_ms, "actor": self.actor,
            "actor_name": self.actor_name, "actor_tenant": self.actor_tenant or None, "action": self.action,
            "target": self.target, "remote_addr": self.remote_addr, "status": self.status,
            "before": self.before, "after": self.after,
        }


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters (all optional but the tenant) and a page: newest first, ``limit`` entries
    older than the ``before`` cursor (an entry id). ``action`` ending in ``.*`` matches
    the prefix (``user.*``)."""

    tenant: str
    actor: str | None = None
    action: str | None = None
    target: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    before: str | None = None
    limit: int = 100

    def __post_init__(self) -> None:
        validate_tenant_id(self.tenant)
        if self.action is not None:
            validate_action(self.action[:-2] + ".x" if self.action.endswith(".*") else self.action)
        for name in ("since_ms", "until_ms"):
            if getattr(self, name) is not None:
                check_ms(getattr(self, name), name)
        if self.before is not None and not _ID_RE.fullmatch(self.before):
            raise ValidationError("before must be an audit entry id (the last one of the previous page)",
                                  field="before")
        if isinstance(self.limit, bool) or not isinstance(self.limit, int) or not 1 <= self.limit <= MAX_PAGE:
            raise ValidationError(f"limit must be from 1 to {MAX_PAGE}", field="limit")

    def matches(self, entry: AuditEntry) -> bool:
        """The filter as a predicate (the in-memory store uses it; SQL stores translate it)."""
        if entry.tenant != self.tenant:
            return False
        if self.actor is not None and entry.actor != self.actor:
            return False
        if self.action is not None:
            if self.action.endswith(".*"):
                if not entry.action.startswith(self.action[:-1]):
                    return False
            elif entry.action != self.action:
                return False
        if self.target is not None and entry.target != self.target:
            return False
        if self.since_ms is not None and entry.at_ms < self.since_ms:
            return False
        if self.until_ms is not None and entry.at_ms >= self.until_ms:
            return False
        return self.before is None or entry.id < self.before
