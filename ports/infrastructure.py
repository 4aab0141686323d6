"""What remediation steps act on: workloads (scale, restart) and outgoing HTTP calls.

Every call carries what makes it safe to repeat, because a workflow activity may run
more than once: scaling sets an absolute count, a restart is stamped with the instant
the workflow decided on it (the same stamp twice is one rollout), and an HTTP call
sends its idempotency key in the ``Idempotency-Key`` header.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class InfrastructureError(Exception):
    """A call that failed; ``retryable`` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True, slots=True)
class Workload:
    namespace: str
    name: str
    kind: str = "deployment"

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


class Infrastructure(Protocol):
    # True for an adapter that changes nothing (the embedded default without a cluster):
    # every step result then says "dry run" (services/remediation.py).
    dry_run: bool

    async def replicas(self, workload: Workload) -> int:
        """The desired replica count now."""
        ...

    async def scale(self, workload: Workload, replicas: int) -> None: ...

    async def restart(self, workload: Workload, *, stamp_ms: int) -> None:
        """A rolling restart marked with ``stamp_ms``; repeating one stamp does nothing."""
        ...


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    url: str
    idempotency_key: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    timeout_s: float = 30.0


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: str = ""


class HttpCaller(Protocol):
    async def call(self, request: HttpRequest) -> HttpResponse:
        """Send the request; raises ``InfrastructureError`` when no answer came back."""
        ...
