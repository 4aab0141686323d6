"""/api/v1/compliance: catalogue, posture, evaluations with evidence, evaluate now, and
pushing facts: who may do what, problem+json naming the field, evaluate -> posture."""

from __future__ import annotations

import json
import math

from domain.metrics.batch import SampleBatch, SeriesSamples
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from tests.unit.http.conftest import NOW_MS

BASE = "/api/v1/compliance"
FACTS = {
    "ingest.tls.enabled": True, "ingest.tls.min_version": "1.3", "audit.enabled": True, "audit.retention_days": 400,
    "identity.admin_mfa_required": True, "identity.dormant_users_45d": 0,
    "oncall.escalation_policies": 1, "oncall.uncovered_hours_next_7d": 0,
}


async def _key(api, scopes: list[str]) -> dict[str, str]:
    _, key = await api.container.api_keys().create_api_key("default", "-".join(scopes), scopes)
    return {"Authorization": f"Bearer {key}"}


async def _samples(api, name: str, points: list[tuple[int, float]], **labels: str) -> None:
    key = SeriesKey.of("default", name, labels)
    series = SeriesSamples(key, tuple(Sample(t, v) for t, v in points))
    await api.container.sample_store().write([SampleBatch("default", (series,))])


def _problem(resp, status: int, field: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    if field is not None:
        assert body["field"] == field, body
    return body


async def test_every_route_needs_a_credential_and_the_right_permission(api):
    anonymous = {"Authorization": ""}
    for method, path in (("GET", "/controls"), ("GET", "/posture"), ("GET", "/controls/OE-NET-01/evaluations"),
                         ("POST", "/evaluate"), ("PUT", "/facts"), ("GET", "/facts")):
        _problem(await api.client.request(method, BASE + path, headers=anonymous), 401)

    reader = await _key(api, ["read"])  # a viewer: reads the posture, changes nothing
    assert (await api.client.get(f"{BASE}/posture", headers=reader)).status_code == 200
    assert "compliance:manage" in _problem(await api.client.post(f"{BASE}/evaluate", headers=reader), 403)["detail"]
    _problem(await api.client.put(f"{BASE}/facts", json={"source": "x", "facts": {"a": 1}}, headers=reader), 403)
    ingest_only = await _key(api, ["ingest"])
    _problem(await api.client.get(f"{BASE}/controls", headers=ingest_only), 403)


async def test_the_catalogue_lists_controls_with_framework_clauses(api):
    resp = await api.client.get(f"{BASE}/controls")
    assert resp.status_code == 200
    controls = {c["id"]: c for c in resp.json()["data"]}
    assert len(controls) == 10
    net = controls["OE-NET-01"]
    assert {"framework": "soc2", "title": "SOC 2", "reference": "CC6.7"} in net["frameworks"]
    assert net["required_facts"] == ["ingest.tls.enabled", "ingest.tls.min_version"]
    assert net["severity"] == "high" and net["status"] is None and net["evaluated_at"] is None
    assert controls["OE-IR-01"]["required_metrics"] == ["last(oe_incident_mtta_seconds[1d])"]
    assert controls["OE-IR-01"]["applies_when"] == "fact incidents.count_30d gt 0"

    pci = (await api.client.get(f"{BASE}/controls", params={"framework": "pci_dss"})).json()["data"]
    assert sorted(c["id"] for c in pci) == ["OE-IAM-01", "OE-LOG-01", "OE-LOG-02", "OE-NET-01"]
    assert (await api.client.get(f"{BASE}/controls", params={"framework": "hipaa"})).json()["data"] == []
    _problem(await api.client.get(f"{BASE}/controls", params={"framework": "sox"}), 422, "framework")


async def test_before_any_evaluation_the_posture_proves_nothing(api):
    data = {p["framework"]: p for p in (await api.client.get(f"{BASE}/posture")).json()["data"]}
    assert set(data) == {"soc2", "iso27001", "cis", "nist_csf", "pci_dss", "hipaa"}
    assert data["soc2"]["score"] == 0.0 and data["soc2"]["unevaluated"] == data["soc2"]["total"] == 9
    assert data["hipaa"]["score"] is None and data["hipaa"]["total"] == 0


async def test_push_facts_then_evaluate_then_read_posture_and_evidence(api):
    resp = await api.client.put(f"{BASE}/facts", json={"source": "terraform/prod", "facts": FACTS})
    assert resp.status_code == 200, resp.text
    assert resp.json()["data"]["stored"] == sorted(FACTS)
    await _samples(api, "node_timex_sync_status", [(NOW_MS - 60_000, 1)], host="a")
    await _samples(api, "oe_backup_last_success_age_seconds", [(NOW_MS - 60_000, 100)], job="db")
    await api.client.post("/api/v1/rules", json={"name": "DiskFull", "selector": "node_filesystem_avail_bytes",
                                                 "aggregation": "min", "window": "5m", "op": "<", "threshold": 1e9})

    await api.container.api_keys().create_api_key("default", "legacy", ["read"], never_expires=True)
    summary = (await api.client.post(f"{BASE}/evaluate")).json()["data"]

    # The key that never expires (asked for explicitly): the only failure, and a true one.
    assert (summary["passed"], summary["failed"], summary["errored"], summary["not_applicable"]) == (8, 1, 0, 1)
    assert summary["at_ms"] == NOW_MS and summary["missing_facts"] == []
    posture = {p["framework"]: p for p in (await api.client.get(f"{BASE}/posture")).json()["data"]}
    assert posture["pci_dss"]["score"] == 100.0 and posture["soc2"]["failed"] == 1
    assert posture["soc2"]["score"] == round(100 * (22 - 2) / 22, 2)

    controls = {c["id"]: c for c in (await api.client.get(f"{BASE}/controls")).json()["data"]}
    assert controls["OE-IAM-03"]["status"] == "fail" and controls["OE-NET-01"]["status"] == "pass"
    assert controls["OE-NET-01"]["evaluated_at"] == "2027-01-15T08:00:00Z"

    history = (await api.client.get(f"{BASE}/controls/OE-NET-01/evaluations")).json()["data"]
    [ev] = history["evaluations"]
    assert ev["status"] == "pass" and ev["evaluated_at_ms"] == NOW_MS
    assert ev["evidence"][1] == {"kind": "fact", "key": "ingest.tls.min_version", "operator": "in", "observed": "1.3",
                                 "expected": ["1.2", "1.3"], "passed": True, "error": None, "at": "2027-01-15T08:00:00Z"}

    facts = (await api.client.get(f"{BASE}/facts")).json()["data"]
    assert facts["derived"]["identity.api_keys.without_expiry"] == 1
    assert facts["derived"]["alerts.rules.covered_signals"] == ["disk_usage"]
    pushed = {f["key"]: f for f in facts["pushed"]}
    assert pushed["audit.retention_days"]["value"] == 400
    assert pushed["audit.retention_days"]["source"].startswith("terraform/prod (by api_key:key_")


async def test_non_finite_evidence_is_rendered_as_prometheus_spells_it(api):
    await _samples(api, "oe_backup_last_success_age_seconds", [(NOW_MS - 60_000, math.inf)], job="db")
    await _samples(api, "node_timex_sync_status", [(NOW_MS - 60_000, math.nan)], host="a")
    await api.client.post(f"{BASE}/evaluate")
    [backup] = (await api.client.get(f"{BASE}/controls/OE-BCP-01/evaluations")).json()["data"]["evaluations"]
    [sync] = (await api.client.get(f"{BASE}/controls/OE-LOG-02/evaluations")).json()["data"]["evaluations"]
    assert backup["status"] == "fail" and backup["evidence"][0]["observed"] == "+Inf"
    assert sync["status"] == "error" and sync["evidence"][0]["observed"] == "NaN"


async def test_evaluations_of_an_unknown_control_are_404(api):
    _problem(await api.client.get(f"{BASE}/controls/NOPE-1/evaluations"), 404)
    _problem(await api.client.get(f"{BASE}/controls/OE-NET-01/evaluations", params={"limit": 0}), 422, "limit")


async def test_bad_fact_pushes_are_problems_naming_the_field(api):
    async def put(body, **kw):
        content = body if isinstance(body, (str, bytes)) else json.dumps(body)
        headers = {"Content-Type": "application/json", **kw.pop("headers", {})}
        return await api.client.put(f"{BASE}/facts", content=content, headers=headers)

    _problem(await put({"source": "ci", "facts": {"bad key": 1}}), 422, 'facts["bad key"]')
    _problem(await put('{"source": "ci", "facts": {"a.b": NaN}}'), 422, 'facts["a.b"]')
    _problem(await put({"source": "ci", "facts": {"a.b": {"c": {"d": "x" * 20_000}}}}), 422, 'facts["a.b"]')
    _problem(await put({"facts": {"a.b": 1}}), 422, "source")
    _problem(await put({"source": "", "facts": {"a.b": 1}}), 422, "source")
    _problem(await put({"source": "ci", "facts": []}), 422, "facts")
    _problem(await put({"source": "ci", "facts": {}}), 422, "facts")
    _problem(await put({"source": "ci", "facts": {"a": 1}, "extra": 1}), 422, "extra")
    _problem(await put("{not json"), 422, "body")
    _problem(await put({"source": "ci", "facts": {"a": 1}}, headers={"Content-Type": "text/plain"}), 415)
    too_big = {"source": "ci", "facts": {f"k{i}": "x" * 1000 for i in range(100)}}  # over the fixture's 64 KiB
    assert _problem(await put(too_big), 413)["limit"] == "max_body_bytes"
    many = {"source": "ci", "facts": {f"k{i}": i for i in range(1001)}}
    assert _problem(await put(many), 422, "facts")["limit"] == "max_facts_per_push"

    assert (await api.client.get(f"{BASE}/facts")).json()["data"]["pushed"] == []  # nothing half-stored


async def test_pushed_facts_merge_and_override(api):
    await api.client.put(f"{BASE}/facts", json={"source": "a", "facts": {"audit.enabled": False, "x.y": 1}})
    api.clock.advance(1000)
    await api.client.put(f"{BASE}/facts", json={"source": "b", "facts": {"audit.enabled": True}})
    pushed = {f["key"]: f for f in (await api.client.get(f"{BASE}/facts")).json()["data"]["pushed"]}
    assert pushed["audit.enabled"]["value"] is True and pushed["audit.enabled"]["source"].startswith("b ")
    assert pushed["x.y"]["value"] == 1 and pushed["x.y"]["source"].startswith("a ")
