"""Test doubles for remediation: infrastructure and outgoing HTTP in memory that record
every call and fail on demand, so retries and compensation are tested without a
cluster. (Production's default without a cluster is ``adapters.memory.infrastructure.
DryRunInfrastructure``, which changes nothing and says so.)

``fail(operation, name, times)`` makes the next ``times`` calls of ``operation``
("scale", "restart", "replicas", "http") on the workload or URL ``name`` raise a
retryable error; ``times=None`` makes them fail for good (not retryable).
"""

from __future__ import annotations

from ports.infrastructure import HttpRequest, HttpResponse, InfrastructureError, Workload


class _Failures:
    def __init__(self) -> None:
        self._plan: dict[tuple[str, str], int | None] = {}

    def fail(self, operation: str, name: str, times: int | None = 1) -> None:
        self._plan[(operation, name)] = times

    def check(self, operation: str, name: str) -> None:
        key = (operation, name)
        if key not in self._plan:
            return
        left = self._plan[key]
        if left is None:
            raise InfrastructureError(f"{operation} {name} failed", retryable=False)
        if left <= 1:
            del self._plan[key]
        else:
            self._plan[key] = left - 1
        raise InfrastructureError(f"{operation} {name} failed (transient)", retryable=True)


class MemoryInfrastructure:
    """``replicas`` maps "namespace/name" to a count; an unknown workload is not found."""

    dry_run = False

    def __init__(self, replicas: dict[str, int] | None = None) -> None:
        self.deployments: dict[str, int] = dict(replicas or {})
        self.restarts: dict[str, list[int]] = {}
        self.calls: list[tuple[str, str, int | None]] = []  # (operation, "ns/name", value)
        self.failures = _Failures()

    def fail(self, operation: str, name: str, times: int | None = 1) -> None:
        self.failures.fail(operation, name, times)

    def _key(self, w: Workload) -> str:
        return f"{w.namespace}/{w.name}"

    async def replicas(self, workload: Workload) -> int:
        key = self._key(workload)
        self.failures.check("replicas", key)
        if key not in self.deployments:
            raise InfrastructureError(f"{workload} not found")
        return self.deployments[key]

    async def scale(self, workload: Workload, replicas: int) -> None:
        key = self._key(workload)
        self.calls.append(("scale", key, replicas))
        self.failures.check("scale", key)
        if key not in self.deployments:
            raise InfrastructureError(f"{workload} not found")
        self.deployments[key] = replicas

    async def restart(self, workload: Workload, *, stamp_ms: int) -> None:
        key = self._key(workload)
        self.calls.append(("restart", key, stamp_ms))
        self.failures.check("restart", key)
        if key not in self.deployments:
            raise InfrastructureError(f"{workload} not found")
        stamps = self.restarts.setdefault(key, [])
        if stamp_ms not in stamps:  # the same stamp is the same rollout
            stamps.append(stamp_ms)


class RecordingHttpCaller:
    def __init__(self, status: int = 200) -> None:
        self.requests: list[HttpRequest] = []
        self.status: dict[str, int] = {}
        self.default_status = status
        self.failures = _Failures()

    async def call(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        self.failures.check("http", request.url)
        return HttpResponse(self.status.get(request.url, self.default_status), "ok")
