"""Outgoing calls read their answers within bounds: a size cap and a total deadline
(not only a per-read timeout), for notifications, runbook HTTP steps, Kubernetes and
scrapes."""

from __future__ import annotations

import pytest

from adapters.kubernetes.client import MAX_ANSWER_BYTES as K8S_MAX, KubernetesInfrastructure
from adapters.notify.http import MAX_ANSWER_BYTES as NOTIFY_MAX, GuardedHttp
from adapters.outbound.bounded import DeadlineExceeded
from adapters.outbound.guard import OutgoingGuard
from adapters.outbound.http_caller import GuardedHttpCaller
from adapters.scrape.http import HttpScrapeClient
from ports.infrastructure import HttpRequest, InfrastructureError, Workload
from ports.scrape import ScrapeError
from tests.unit.adapters.fake_http import fake_server
from tests.unit.adapters.slow_http import misbehaving_server

LOCAL = ["127.0.0.1/32"]


async def test_a_notification_answer_is_read_up_to_the_cap() -> None:
    with misbehaving_server(body_bytes=8 * 1024 * 1024) as url:
        response = await GuardedHttp(OutgoingGuard(LOCAL), timeout_s=10).post(f"{url}/hook", b"{}", {})
    assert response.status_code == 200 and len(response.content) == NOTIFY_MAX


async def test_a_trickling_receiver_hits_the_total_deadline() -> None:
    # Every byte comes well within the per-read timeout; the whole answer would take 10 s.
    with misbehaving_server(trickle=40) as url:
        with pytest.raises(DeadlineExceeded):
            await GuardedHttp(OutgoingGuard(LOCAL), timeout_s=1).post(f"{url}/hook", b"{}", {})


async def test_a_runbook_call_is_bounded_too() -> None:
    with misbehaving_server(body_bytes=8 * 1024 * 1024) as url:
        big = await GuardedHttpCaller(LOCAL).call(HttpRequest("GET", url, "k"))
    assert big.status == 200 and len(big.body) <= 2000
    with misbehaving_server(trickle=40) as url:
        with pytest.raises(InfrastructureError) as late:
            await GuardedHttpCaller(LOCAL).call(HttpRequest("GET", url, "k", timeout_s=1))
    assert late.value.retryable and "DeadlineExceeded" in str(late.value)


async def test_kubernetes_answers_are_bounded() -> None:
    with misbehaving_server(body_bytes=K8S_MAX + 1) as url:
        k8s = KubernetesInfrastructure(url, timeout_s=10)
        with pytest.raises(InfrastructureError) as huge:
            await k8s.replicas(Workload("prod", "web"))
        await k8s.aclose()
    assert not huge.value.retryable and "over" in str(huge.value)
    with misbehaving_server(trickle=40) as url:
        k8s = KubernetesInfrastructure(url, timeout_s=1)
        with pytest.raises(InfrastructureError) as late:
            await k8s.replicas(Workload("prod", "web"))
        await k8s.aclose()
    assert late.value.retryable


async def test_a_scrape_is_bounded_by_its_timeout_as_a_whole() -> None:
    client = HttpScrapeClient()
    with misbehaving_server(trickle=40) as url:
        with pytest.raises(ScrapeError) as late:
            await client.fetch(f"{url}/metrics", headers={}, timeout_s=1, max_bytes=1 << 20)
    await client.close()
    assert "timeout of 1s" in str(late.value)


@pytest.mark.parametrize("workload", [
    Workload("prod", "../../../api/v1/secrets"), Workload("prod/../kube-system", "web"), Workload("Prod", "web"),
    Workload("prod", "web?dryRun=All"), Workload("prod", "a" * 254), Workload("prod", "web.v2", "statefulset"),
])
async def test_kubernetes_names_are_validated_before_any_request(workload: Workload) -> None:
    with fake_server() as api:
        k8s = KubernetesInfrastructure(api.url)
        with pytest.raises(InfrastructureError) as refused:
            await k8s.restart(workload, stamp_ms=1)
        await k8s.aclose()
    assert api.requests == [] and not refused.value.retryable and "DNS-1123" in str(refused.value)


async def test_a_deployment_name_may_be_a_dotted_subdomain() -> None:
    with fake_server(lambda seen: (200, {"spec": {"replicas": 2}})) as api:
        k8s = KubernetesInfrastructure(api.url)
        assert await k8s.replicas(Workload("prod", "web.v2")) == 2
        await k8s.aclose()
    assert api.requests[0].path == "/apis/apps/v1/namespaces/prod/deployments/web.v2/scale"
