"""What protects the service from a query: limits, a deadline, cancellation."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from domain.errors import QueryCanceled, QueryLimitExceeded, QueryTimeout


@dataclass(frozen=True, slots=True)
class QueryLimits:
    """Per query: series read, samples read (counted before loading), points evaluated
    or returned (series × steps), seconds; per tenant: queries running at once."""

    max_series: int = 10_000
    max_samples: int = 50_000_000
    max_points: int = 20_000_000
    timeout_s: float = 120.0
    max_concurrent_per_tenant: int = 2
    max_steps: int = 11_000  # Prometheus' resolution limit, points per series of a range query


class Deadline:
    """A query's deadline and cancellation flag, checked from the evaluating thread."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._expires = time.monotonic() + timeout_s
        self._cancelled = threading.Event()

    def remaining(self) -> float:
        return max(0.0, self._expires - time.monotonic())

    def cancel(self) -> None:
        self._cancelled.set()

    def check(self) -> None:
        if self._cancelled.is_set():
            raise QueryCanceled("query was canceled")
        if time.monotonic() >= self._expires:
            raise QueryTimeout(f"query timed out in query execution (timeout {self.timeout_s:g}s)")


def over(what: str, count: int, limit: int, name: str, advice: str) -> QueryLimitExceeded:
    return QueryLimitExceeded(
        f"the query {what} {count}, over the limit of {limit}; {advice}", field="query", limit=name, value=limit
    )
