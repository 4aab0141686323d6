"""The remediation activities' use case: the tenant's policy is checked again at the
point of acting, and the dry-run infrastructure's results say "dry run"."""

from __future__ import annotations

import pytest

from adapters.memory.infrastructure import DryRunInfrastructure
from adapters.memory.tasks import InProcessTaskQueue
from domain.remediation.policy import RemediationPolicy
from services.remediation import StepFailed, StepRequest, RemediationService
from tests.support.infrastructure import MemoryInfrastructure, RecordingHttpCaller

POLICY = RemediationPolicy.of({"acme": ["prod"]}, ["cache.flush"])


def request(kind: str, params: dict, tenant: str = "acme") -> StepRequest:
    return StepRequest(tenant=tenant, incident_id="inc-1", step_id="s1", kind=kind, params=params, key="k", at_ms=1000)


async def test_the_dry_run_infrastructure_says_so_and_changes_nothing() -> None:
    service = RemediationService(DryRunInfrastructure(), RecordingHttpCaller(), InProcessTaskQueue(), policy=POLICY)
    restarted = await service.run(request("restart", {"namespace": "prod", "deployment": "web"}))
    scaled = await service.run(request("scale", {"namespace": "prod", "deployment": "web", "replicas": 3}))
    for out in (restarted, scaled):
        assert out.detail["dry_run"] is True and out.detail["note"].startswith("dry run")
    assert await service.replicas("prod", "web") == 0


async def test_a_real_infrastructure_result_is_not_marked() -> None:
    infra = MemoryInfrastructure({"prod/web": 2})
    service = RemediationService(infra, RecordingHttpCaller(), InProcessTaskQueue(), policy=POLICY)
    out = await service.run(request("restart", {"namespace": "prod", "deployment": "web"}))
    assert "dry_run" not in out.detail and infra.restarts == {"prod/web": [1000]}


@pytest.mark.parametrize("tenant, kind, params", [
    ("acme", "restart", {"namespace": "kube-system", "deployment": "dns"}),
    ("globex", "restart", {"namespace": "prod", "deployment": "web"}),
    ("acme", "task", {"name": "notify.deliver", "payload": {}}),
])
async def test_a_step_outside_the_policy_fails_for_good_without_acting(tenant: str, kind: str, params: dict) -> None:
    infra = MemoryInfrastructure({"prod/web": 2, "kube-system/dns": 2})
    tasks = InProcessTaskQueue()
    service = RemediationService(infra, RecordingHttpCaller(), tasks, policy=POLICY)
    with pytest.raises(StepFailed) as refused:
        await service.run(request(kind, params, tenant))
    assert not refused.value.retryable and infra.calls == []
