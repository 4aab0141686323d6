"""Errors the domain raises. Adapters translate them (HTTP: RFC 9457 problem+json)."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""


class ValidationError(DomainError, ValueError):
    """Input that breaks a domain rule. ``field`` names what was wrong (dotted path)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def at(self, prefix: str) -> "ValidationError":
        """The same error with its field path prefixed (``series[3]`` + ``labels.host``)."""
        field = f"{prefix}.{self.field}" if self.field else prefix
        return self.renamed(field)

    def renamed(self, field: str | None) -> "ValidationError":
        """The same error naming ``field`` (an adapter spelling the domain's field its way)."""
        return type(self)(self.message, field=field)


class LimitExceeded(ValidationError):
    """A configured limit (labels per series, label length, ...) was exceeded."""

    def __init__(self, message: str, *, field: str | None = None, limit: str = "", value: int = 0) -> None:
        super().__init__(message, field=field)
        self.limit = limit
        self.value = value

    def renamed(self, field: str | None) -> "LimitExceeded":
        return LimitExceeded(self.message, field=field, limit=self.limit, value=self.value)


class InvalidTransition(DomainError):
    """A state machine refused an event in its current state."""

    def __init__(self, entity: str, state: str, event: str) -> None:
        super().__init__(f"{entity} cannot {event} while {state}")
        self.entity = entity
        self.state = state
        self.event = event


class NotFound(DomainError):
    """A referenced entity does not exist (in the caller's tenant)."""


class PermissionDenied(DomainError):
    """The principal's role does not grant the permission asked for."""


class AuthenticationFailed(DomainError):
    """No credential, or one that is unknown, expired or revoked."""


class Conflict(DomainError):
    """The entity changed since it was read (optimistic concurrency) or already exists.
    ``current_version`` is the stored version when a stale write was refused, so a client
    can re-read and retry."""

    def __init__(self, message: str, *, current_version: int | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version


class PreconditionRequired(DomainError):
    """A write to a versioned resource that named no version it read (``If-Match`` or
    ``version``): refused rather than let it overwrite a change it never saw."""


class BatchRejected(ValidationError):
    """A batch with one or more invalid parts: rejected whole, every problem named."""

    def __init__(self, errors: list[ValidationError]) -> None:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{first.message}{more}", field=first.field)
        self.errors = errors

    def renamed(self, field: str | None) -> "BatchRejected":
        # Each part keeps its own field; a prefix (``at``) applies to every one of them.
        return BatchRejected([e.renamed(field) for e in self.errors])

    def at(self, prefix: str) -> "BatchRejected":
        return BatchRejected([e.at(prefix) for e in self.errors])


class QueryLimitExceeded(LimitExceeded):
    """A query would read or return more than a configured limit allows (series,
    samples, points); raised before the data is loaded wherever the count is known."""


class QueryTimeout(DomainError):
    """A query ran past its deadline and was stopped."""


class QueryCanceled(DomainError):
    """A query was cancelled (its caller went away) and was stopped."""
