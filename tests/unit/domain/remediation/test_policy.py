"""What a tenant's runbooks may touch: namespaces per tenant and allowed tasks, named
down to the step's field (compensations included), nothing allowed by default."""

from __future__ import annotations

import pytest

from domain.errors import PermissionDenied, ValidationError
from domain.remediation.policy import RemediationPolicy
from domain.remediation.runbook import Runbook

POLICY = RemediationPolicy.of({"acme": ["prod", "staging"]}, ["cache.flush"])


def runbook(*steps: dict) -> Runbook:
    return Runbook.from_dict({"id": "rb", "steps": list(steps)})


def restart(namespace: str) -> dict:
    return {"id": f"restart-{namespace}", "kind": "restart", "params": {"namespace": namespace, "deployment": "web"}}


def test_a_tenant_may_act_on_its_own_namespaces_only() -> None:
    POLICY.check_written("acme", runbook(restart("prod"), restart("staging")))
    with pytest.raises(ValidationError) as other:
        POLICY.check_written("acme", runbook(restart("prod"), restart("kube-system")))
    assert other.value.field == "steps[1].params.namespace" and "kube-system" in other.value.message
    with pytest.raises(ValidationError):
        POLICY.check_written("globex", runbook(restart("prod")))  # another tenant: nothing configured


def test_the_default_namespace_counts_when_none_is_given() -> None:
    with pytest.raises(ValidationError) as info:
        POLICY.check_written("acme", runbook({"id": "s", "kind": "scale", "params": {"deployment": "web", "replicas": 2}}))
    assert "'default'" in info.value.message


def test_compensations_are_held_to_the_policy_too() -> None:
    step = {**restart("prod"), "compensation": {"kind": "scale", "params": {"namespace": "kube-system",
                                                                            "deployment": "dns", "replicas": 1}}}
    with pytest.raises(ValidationError) as info:
        POLICY.check_written("acme", runbook(step))
    assert info.value.field == "steps[0].compensation.params.namespace"


def test_task_steps_may_name_allowed_tasks_only() -> None:
    POLICY.check_written("acme", runbook({"id": "t", "kind": "task", "params": {"name": "cache.flush"}}))
    with pytest.raises(ValidationError) as info:
        POLICY.check_written("acme", runbook({"id": "t", "kind": "task", "params": {"name": "notify.deliver"}}))
    assert info.value.field == "steps[0].params.name" and "OBSERVER_REMEDIATION_TASKS" in info.value.message
    with pytest.raises(ValidationError):
        RemediationPolicy().check_written("acme", runbook({"id": "t", "kind": "task", "params": {"name": "cache.flush"}}))


def test_a_run_outside_the_policy_is_forbidden() -> None:
    with pytest.raises(PermissionDenied) as info:
        POLICY.check_run("acme", runbook(restart("kube-system")))
    assert "steps[0].params.namespace" in str(info.value)


def test_steps_that_touch_nothing_need_nothing() -> None:
    RemediationPolicy().check_written("acme", runbook(
        {"id": "w", "kind": "wait", "params": {"duration_ms": 1000}},
        {"id": "m", "kind": "manual", "params": {"instructions": "look"}},
        {"id": "h", "kind": "http", "params": {"method": "POST", "url": "https://lb.example/drain"}}))
