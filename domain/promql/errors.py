"""PromQL errors, each carrying the error type Prometheus' HTTP API reports."""

from __future__ import annotations

from domain.errors import DomainError


class PromQLError(DomainError):
    """Base of the query errors; ``error_type`` is Prometheus' ``errorType``."""

    error_type = "execution"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PromQLSyntaxError(PromQLError):
    """The query text does not parse, or uses something Prometheus 2.42 does not have."""

    error_type = "bad_data"


class PromQLExecutionError(PromQLError):
    """The query parsed but cannot be evaluated on this data (as Prometheus' engine
    refuses it: duplicate series in a match group, an invalid regular expression...)."""

    error_type = "execution"
