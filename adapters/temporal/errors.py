"""Failures reported by workflows, turned back into the domain's errors.

The workflows encode a refused change as an ``ApplicationError`` whose ``type`` is the
domain exception's class name and whose first detail holds its fields
(``workflows.common.to_application_error``); this is the decoding side. The contract
is the type names, so this adapter does not import the workflows package.
"""

from __future__ import annotations

from typing import Any

from temporalio.exceptions import ApplicationError

from domain.errors import Conflict, DomainError, InvalidTransition, NotFound, ValidationError


def domain_error(cause: BaseException | None) -> Exception:
    if not isinstance(cause, ApplicationError):
        return RuntimeError(f"workflow update failed: {cause}")
    d: dict[str, Any] = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
    if cause.type == "InvalidTransition":
        return InvalidTransition(d.get("entity", "incident"), d.get("state", "?"), d.get("event", "?"))
    if cause.type == "ValidationError":
        return ValidationError(d.get("message", cause.message), field=d.get("field"))
    if cause.type == "NotFound":
        return NotFound(cause.message)
    if cause.type in ("Conflict", "Unavailable"):
        return Conflict(cause.message)
    if cause.type == "DomainError":
        return DomainError(cause.message)
    return RuntimeError(f"workflow update failed: {cause.type}: {cause.message}")
