"""Kubernetes names as the API server validates them (DNS-1123), in runbooks and for
each workload kind."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from hypothesis import given

from domain.errors import ValidationError
from domain.remediation.names import dns1123_label, dns1123_subdomain, workload_name
from domain.remediation.runbook import Runbook

LABEL = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", fullmatch=True)


@given(LABEL)
def test_labels_are_names_and_subdomains(name: str) -> None:
    assert dns1123_label(name, "n") == name and dns1123_subdomain(name, "n") == name


@given(st.lists(LABEL, min_size=2, max_size=4).map(".".join).filter(lambda s: len(s) <= 253))
def test_dotted_names_are_subdomains_not_labels(name: str) -> None:
    assert dns1123_subdomain(name, "n") == name
    with pytest.raises(ValidationError):
        dns1123_label(name, "n")


@pytest.mark.parametrize("name", ["", "Web", "web_1", "-web", "web-", "../secrets", "web/scale", "web?x=1", "a" * 64,
                                  "web..v2", ".web", "wéb", "web\n", None, 7])
def test_what_the_api_server_refuses_is_refused(name: object) -> None:
    with pytest.raises(ValidationError) as info:
        dns1123_subdomain(name if name != "a" * 64 else "a" * 254, "deployment")
    assert info.value.field == "deployment"
    with pytest.raises(ValidationError):
        dns1123_label(name, "namespace")


def test_statefulsets_are_labels_deployments_subdomains() -> None:
    assert workload_name("deployment", "web.v2", "name") == "web.v2"
    with pytest.raises(ValidationError):
        workload_name("statefulset", "web.v2", "name")


def test_runbook_steps_name_valid_workloads() -> None:
    with pytest.raises(ValidationError) as info:
        Runbook.from_dict({"id": "rb", "steps": [
            {"id": "r", "kind": "restart", "params": {"namespace": "prod", "deployment": "../../api/v1/secrets"}}]})
    assert info.value.field == "steps[0].params.deployment"
    with pytest.raises(ValidationError) as info:
        Runbook.from_dict({"id": "rb", "steps": [
            {"id": "s", "kind": "scale", "params": {"namespace": "Prod", "deployment": "web", "replicas": 1}}]})
    assert info.value.field == "steps[0].params.namespace"
