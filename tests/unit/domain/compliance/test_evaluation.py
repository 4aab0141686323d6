"""Controls and their evaluation; the built-in catalogue."""

from __future__ import annotations

import pytest

from domain.compliance import (
    AllOf,
    CheckOperator as Op,
    Control,
    ControlStatus,
    Evaluation,
    EvaluationContext,
    FactCheck,
    Framework,
    FrameworkRef,
    Severity,
    default_controls,
    evaluate_control,
    evaluate_controls,
    posture,
    required_facts,
    required_metrics,
)
from domain.errors import ValidationError

NOW = 1_700_000_000_000
SOC2 = FrameworkRef(Framework.SOC2, "CC7.2")


def control(check, **kwargs):
    args = {"id": "OE-LOG-01", "title": "Audit logging", "description": "", "severity": Severity.HIGH,
            "refs": (SOC2,), "check": check, **kwargs}
    return Control(**args)


def ctx(facts, metrics=None):
    return EvaluationContext(facts, metrics or {}, NOW, "acme")


def test_severity_weights():
    assert [s.weight for s in Severity] == [1, 2, 3, 4]


def test_framework_refs():
    ref = FrameworkRef("iso27001", " A.8.16 ")
    assert ref == FrameworkRef(Framework.ISO27001, "A.8.16")
    assert str(ref) == "ISO/IEC 27001:2022 A.8.16"
    with pytest.raises(ValidationError) as info:
        FrameworkRef("gdpr", "32")
    assert info.value.field == "framework"
    with pytest.raises(ValidationError) as info:
        FrameworkRef(Framework.CIS, "  ")
    assert info.value.field == "reference"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"id": ""}, "id"),
        ({"id": "1-LOG"}, "id"),
        ({"id": "OE LOG"}, "id"),
        ({"title": ""}, "title"),
        ({"description": None}, "description"),
        ({"severity": "urgent"}, "severity"),
        ({"refs": ()}, "refs"),
        ({"refs": SOC2}, "refs"),
        ({"refs": (SOC2, SOC2)}, "refs"),
        ({"refs": ("soc2 CC7.2",)}, "refs[0]"),
        ({"check": "audit.enabled == true"}, "check"),
        ({"applies_when": True}, "applies_when"),
    ],
)
def test_control_validation(kwargs, field):
    with pytest.raises(ValidationError) as info:
        control(**{"check": FactCheck("audit.enabled", Op.EQ, True), **kwargs})
    assert info.value.field == field


def test_control_frameworks_and_references():
    c = control(FactCheck("a", Op.EQ, 1), refs=[SOC2, FrameworkRef(Framework.CIS, "8.2"), FrameworkRef(Framework.CIS, "8.10")],
                severity="low")
    assert c.refs == (SOC2, FrameworkRef(Framework.CIS, "8.2"), FrameworkRef(Framework.CIS, "8.10"))
    assert c.severity is Severity.LOW
    assert c.frameworks == {Framework.SOC2, Framework.CIS}
    assert c.references(Framework.CIS) == ("8.2", "8.10")


@pytest.mark.parametrize(
    ("facts", "status"),
    [
        ({"audit": {"enabled": True}}, ControlStatus.PASS),
        ({"audit": {"enabled": False}}, ControlStatus.FAIL),
        ({}, ControlStatus.ERROR),
        ({"audit": {"enabled": "yes"}}, ControlStatus.FAIL),  # JSON equality: "yes" is not true
    ],
)
def test_evaluate_control_statuses(facts, status):
    ev = evaluate_control(control(FactCheck("audit.enabled", Op.EQ, True)), ctx(facts))
    assert (ev.control_id, ev.tenant, ev.status, ev.evaluated_at_ms) == ("OE-LOG-01", "acme", status, NOW)
    assert len(ev.evidence) == 1
    assert (ev.error is not None) == (status is ControlStatus.ERROR)


def test_missing_fact_gives_error_evaluation_with_a_clear_message():
    ev = evaluate_control(control(AllOf([FactCheck("audit.enabled", Op.EQ, True),
                                         FactCheck("audit.retention_days", Op.GE, 90)])),
                          ctx({"audit": {"enabled": True}}))
    assert ev.status is ControlStatus.ERROR
    assert ev.error == "fact 'audit.retention_days' is missing"
    assert [e.passed for e in ev.evidence] == [True, None]


@pytest.mark.parametrize(
    ("facts", "status"),
    [
        ({"incidents": 0, "ok": False}, ControlStatus.NOT_APPLICABLE),
        ({"incidents": 3, "ok": False}, ControlStatus.FAIL),
        ({"incidents": 3, "ok": True}, ControlStatus.PASS),
        ({"ok": True}, ControlStatus.ERROR),
    ],
)
def test_applicability(facts, status):
    c = control(FactCheck("ok", Op.EQ, True), applies_when=FactCheck("incidents", Op.GT, 0))
    ev = evaluate_control(c, ctx(facts))
    assert ev.status is status
    if status is ControlStatus.ERROR:
        assert "cannot decide whether the control applies" in ev.error


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"status": ControlStatus.ERROR}, "error"),
        ({"status": ControlStatus.PASS, "error": "x"}, "error"),
        ({"status": "maybe"}, "status"),
        ({"tenant": "ACME"}, "tenant"),
        ({"control_id": ""}, "control_id"),
        ({"evaluated_at_ms": -5}, "evaluated_at_ms"),
    ],
)
def test_evaluation_validation(kwargs, field):
    args = {"control_id": "OE-1", "tenant": "acme", "status": ControlStatus.PASS, "evidence": (),
            "evaluated_at_ms": 0, **kwargs}
    with pytest.raises(ValidationError) as info:
        Evaluation(**args)
    assert info.value.field == field


# --- the built-in catalogue ------------------------------------------------------------

GOOD_FACTS = {
    "ingest": {"tls": {"enabled": True, "min_version": "1.3"}},
    "audit": {"enabled": True, "retention_days": 365},
    "identity": {"admin_mfa_required": True, "dormant_users_45d": 0, "api_keys": {"without_expiry": 0}},
    "alerts.rules.covered_signals": ["cpu_usage", "disk_usage", "memory_usage"],
    "oncall": {"escalation_policies": 2, "uncovered_hours_next_7d": 0},
    "incidents": {"count_30d": 4},
}


def good_metrics(check):
    return {"node_timex_sync_status": 1.0, "oe_backup_last_success_age_seconds": 3_600.0,
            "oe_incident_mtta_seconds": 240.0}[check.selector.metric]


def test_catalogue_is_valid_and_maps_to_soc2_iso_and_cis():
    controls = default_controls()
    assert 8 <= len(controls) <= 12
    assert len({c.id for c in controls}) == len(controls)
    for framework in (Framework.SOC2, Framework.ISO27001, Framework.CIS):
        assert sum(framework in c.frameworks for c in controls) >= 5
    assert all(Framework.ISO27001 in c.frameworks for c in controls)


def test_catalogue_passes_on_a_healthy_deployment():
    controls = default_controls()
    evaluations = evaluate_controls(controls, ctx(GOOD_FACTS, good_metrics))
    assert {e.control_id: e.status for e in evaluations} == {c.id: ControlStatus.PASS for c in controls}
    scores = posture(controls, evaluations)
    assert scores[Framework.SOC2].score == 100.0
    assert scores[Framework.HIPAA].score is None and scores[Framework.HIPAA].total == 0


def test_catalogue_with_no_facts_errors_instead_of_passing():
    controls = default_controls()
    evaluations = evaluate_controls(controls, ctx({}))
    assert {e.status for e in evaluations} == {ControlStatus.ERROR}
    assert posture(controls, evaluations)[Framework.ISO27001].score == 0.0


def test_catalogue_detects_stale_backups_and_quiet_tenants():
    by_id = {c.id: c for c in default_controls()}
    stale = lambda check: 30 * 3600.0  # noqa: E731
    assert evaluate_control(by_id["OE-BCP-01"], ctx(GOOD_FACTS, stale)).status is ControlStatus.FAIL
    quiet = {**GOOD_FACTS, "incidents": {"count_30d": 0}}
    assert evaluate_control(by_id["OE-IR-01"], ctx(quiet, {})).status is ControlStatus.NOT_APPLICABLE


def test_catalogue_requirements_are_listed():
    facts = set().union(*(required_facts(c.check) for c in default_controls()))
    assert {"ingest.tls.enabled", "audit.enabled", "identity.admin_mfa_required"} <= facts
    metrics = {m.selector.metric for c in default_controls() for m in required_metrics(c.check)}
    assert metrics == {"node_timex_sync_status", "oe_backup_last_success_age_seconds", "oe_incident_mtta_seconds"}
