"""The Kubernetes adapter against a fake API server that checks each request."""

from __future__ import annotations

import pytest

from adapters.kubernetes.client import RESTARTED_AT, KubernetesInfrastructure, restarted_at
from ports.infrastructure import InfrastructureError, Workload
from tests.unit.adapters.fake_http import Seen, fake_server

WEB = Workload("prod", "web")
SCALE = "/apis/apps/v1/namespaces/prod/deployments/web/scale"


def cluster(seen: Seen) -> tuple[int, object]:
    if seen.path.startswith("/apis/apps/v1/namespaces/prod/deployments/missing"):
        return 404, {"kind": "Status", "message": 'deployments.apps "missing" not found'}
    if seen.path.startswith("/apis/apps/v1/namespaces/prod/deployments/flaky"):
        return 503, {"message": "etcd leader changed"}
    if seen.path == SCALE:
        replicas = seen.body["spec"]["replicas"] if seen.method == "PATCH" else 3
        return 200, {"kind": "Scale", "spec": {"replicas": replicas}}
    return 200, {"kind": "Deployment"}


async def test_scale_reads_and_patches_the_scale_subresource() -> None:
    with fake_server(cluster) as api:
        k8s = KubernetesInfrastructure(api.url, token="s3cret")
        assert await k8s.replicas(WEB) == 3
        await k8s.scale(WEB, 5)
        await k8s.aclose()
    get, patch = api.requests
    assert (get.method, get.path) == ("GET", SCALE)
    assert (patch.method, patch.path) == ("PATCH", SCALE)
    assert patch.headers["content-type"] == "application/merge-patch+json"
    assert patch.body == {"spec": {"replicas": 5}}
    assert all(r.headers["authorization"] == "Bearer s3cret" for r in api.requests)


async def test_restart_patches_the_template_annotation_with_the_given_stamp() -> None:
    with fake_server(cluster) as api:
        k8s = KubernetesInfrastructure(api.url)
        await k8s.restart(WEB, stamp_ms=1_800_000_000_123)
        await k8s.restart(WEB, stamp_ms=1_800_000_000_123)  # a retried activity
        await k8s.aclose()
    first, again = api.requests
    assert (first.method, first.path) == ("PATCH", "/apis/apps/v1/namespaces/prod/deployments/web")
    assert first.headers["content-type"] == "application/strategic-merge-patch+json"
    stamp = first.body["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT]
    assert stamp == restarted_at(1_800_000_000_123) == "2027-01-15T08:00:00.123Z"
    assert again.body == first.body  # same annotation value: no second rollout
    assert "authorization" not in first.headers


async def test_errors_say_whether_to_retry() -> None:
    with fake_server(cluster) as api:
        k8s = KubernetesInfrastructure(api.url)
        with pytest.raises(InfrastructureError) as missing:
            await k8s.scale(Workload("prod", "missing"), 2)
        with pytest.raises(InfrastructureError) as flaky:
            await k8s.restart(Workload("prod", "flaky"), stamp_ms=1)
        with pytest.raises(InfrastructureError):
            await k8s.restart(Workload("prod", "web", kind="cronjob"), stamp_ms=1)
        await k8s.aclose()
    assert not missing.value.retryable and "not found" in str(missing.value)
    assert flaky.value.retryable and "503" in str(flaky.value)
    unreachable = KubernetesInfrastructure("http://127.0.0.1:1")
    with pytest.raises(InfrastructureError) as down:
        await unreachable.replicas(WEB)
    await unreachable.aclose()
    assert down.value.retryable
