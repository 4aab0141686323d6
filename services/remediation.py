"""Running one remediation step against the outside world (the activities' use case).

The workflow decides *what* runs and *when* (order, approvals, waits, retries,
compensation); this service only performs one action through a port and says whether
a failure is worth retrying. Each request carries an idempotency key and, for
restarts, the instant the workflow decided on it, so a repeated activity is harmless.

The tenant's remediation policy is checked once more here, at the point of acting
(``domain.remediation.policy``): a step outside it fails for good. Against the dry-run
infrastructure (no cluster configured) a step's result says so: ``dry_run`` and a note.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.remediation.policy import RemediationPolicy
from ports.infrastructure import HttpCaller, HttpRequest, Infrastructure, InfrastructureError, Workload
from ports.tasks import TaskQueue


class StepFailed(Exception):
    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class StepRequest:
    tenant: str
    incident_id: str
    step_id: str
    kind: str
    params: Mapping[str, Any]
    key: str
    at_ms: int
    timeout_ms: int = 60_000
    previous_replicas: int | None = None


@dataclass(frozen=True)
class StepOutput:
    step_id: str
    kind: str
    detail: Mapping[str, Any] = field(default_factory=dict)


def workload(params: Mapping[str, Any]) -> Workload:
    return Workload(str(params.get("namespace", "default")), str(params["deployment"]))


DRY_RUN_NOTE = "dry run: no infrastructure is configured (OBSERVER_INFRASTRUCTURE=kubernetes), nothing was changed"


class RemediationService:
    def __init__(self, infrastructure: Infrastructure, http: HttpCaller, tasks: TaskQueue, *,
                 policy: RemediationPolicy) -> None:
        self._infra = infrastructure
        self._http = http
        self._tasks = tasks
        self._policy = policy

    async def replicas(self, namespace: str, deployment: str) -> int:
        try:
            return await self._infra.replicas(Workload(namespace, deployment))
        except InfrastructureError as e:
            raise StepFailed(str(e), retryable=e.retryable) from e

    async def run(self, req: StepRequest) -> StepOutput:
        refused = self._policy.refusal(req.tenant, req.kind, req.params)
        if refused is not None:
            raise StepFailed(f"{req.step_id}: {refused[1]}")
        try:
            detail = await self._dispatch(req)
        except InfrastructureError as e:
            raise StepFailed(f"{req.step_id}: {e}", retryable=e.retryable) from e
        return StepOutput(req.step_id, req.kind, detail)

    async def _dispatch(self, req: StepRequest) -> dict[str, Any]:
        p = req.params
        if req.kind == "http":
            return await self._call(req)
        if req.kind == "task":
            payload = {**p.get("payload", {}), "incident_id": req.incident_id, "step": req.step_id}
            try:
                queued = await self._tasks.enqueue(p["name"], payload, idempotency_key=req.key)
            except LookupError as e:
                raise StepFailed(f"{req.step_id}: {e}") from e
            return {"task": p["name"], "queued": queued}
        if req.kind == "scale":
            replicas = p["replicas"]
            if replicas == "previous":
                if req.previous_replicas is None:
                    raise StepFailed(f"{req.step_id}: no previous replica count was recorded")
                replicas = req.previous_replicas
            await self._infra.scale(workload(p), int(replicas))
            return {"workload": str(workload(p)), "replicas": int(replicas), **self._simulated()}
        if req.kind == "restart":
            await self._infra.restart(workload(p), stamp_ms=req.at_ms)
            return {"workload": str(workload(p)), "restarted_at_ms": req.at_ms, **self._simulated()}
        raise StepFailed(f"{req.step_id}: a {req.kind} step is not run by an activity")

    def _simulated(self) -> dict[str, Any]:
        return {"dry_run": True, "note": DRY_RUN_NOTE} if self._infra.dry_run else {}

    async def _call(self, req: StepRequest) -> dict[str, Any]:
        p = req.params
        response = await self._http.call(HttpRequest(
            method=p["method"], url=p["url"], idempotency_key=req.key, headers=dict(p.get("headers", {})),
            body=p.get("body"), timeout_s=min(req.timeout_ms / 1000, 120.0)))
        expected = p.get("expect_status") or []
        ok = response.status in expected if expected else 200 <= response.status < 300
        if not ok:
            retryable = response.status >= 500 or response.status == 429
            raise StepFailed(f"{req.step_id}: {p['method']} {p['url']} answered {response.status}", retryable=retryable)
        return {"status": response.status, "body": response.body[:500]}
