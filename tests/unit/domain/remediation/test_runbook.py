"""Runbooks: validation with field paths, the dry-run plan, the compensation order."""

from __future__ import annotations

import pytest

from domain.errors import ValidationError
from domain.remediation.runbook import ApprovalGate, Runbook, Step

WEB = {"namespace": "prod", "deployment": "web"}


def book(*steps: dict) -> dict:
    return {"id": "rb", "name": "Runbook", "steps": list(steps)}


def test_a_runbook_parses_and_plans() -> None:
    rb = Runbook.from_dict(book(
        {"id": "scale", "kind": "scale", "params": {**WEB, "replicas": 5}, "retries": 2,
         "compensation": {"kind": "scale", "params": {**WEB, "replicas": "previous"}}},
        {"id": "restart", "kind": "restart", "params": WEB,
         "approval": {"timeout_ms": 600_000, "roles": ["admin"], "on_timeout": "escalate", "escalate_to": ["boss"]}},
        {"id": "pause", "kind": "wait", "params": {"duration_ms": 60_000}},
        {"id": "look", "kind": "manual", "params": {"instructions": "check the graphs"}},
    ))
    plan = rb.plan()
    assert [p["action"] for p in plan] == [
        "scale deployment prod/web to 5 replicas", "rolling restart of deployment prod/web", "wait 60s",
        "manual: check the graphs"]
    assert plan[0]["attempts"] == 3 and plan[0]["compensation"].endswith("its previous count replicas")
    assert plan[1]["approval"] == {"roles": ["admin"], "timeout_ms": 600_000, "on_timeout": "escalate",
                                   "escalate_to": ["boss"]}
    assert rb.steps[0].compensation.id == "scale.undo" and rb.steps[0].compensation.restores_previous


def test_compensations_run_in_reverse_for_completed_steps_that_have_one() -> None:
    a = Step("a", "task", {"name": "x"}, compensation=Step("a.undo", "task", {"name": "y"}))
    b = Step("b", "wait", {"duration_ms": 1})
    c = Step("c", "task", {"name": "x"}, compensation=Step("c.undo", "task", {"name": "y"}))
    assert [s.id for s in Runbook.compensations([a, b, c])] == ["c", "a"]


@pytest.mark.parametrize("steps, field", [
    ([], "steps"),
    ([{"id": "a", "kind": "teleport"}], "steps[0].kind"),
    ([{"id": "a", "kind": "http", "params": {"method": "GET", "url": "ftp://x"}}], "steps[0].params.url"),
    ([{"id": "a", "kind": "scale", "params": {**WEB, "replicas": -1}}], "steps[0].params.replicas"),
    ([{"id": "a", "kind": "scale", "params": {**WEB, "replicas": "previous"}}], "steps[0].params.replicas"),
    ([{"id": "a", "kind": "wait", "params": {"duration_ms": 1}}, {"id": "a", "kind": "wait",
                                                                   "params": {"duration_ms": 1}}], "steps[1].id"),
    ([{"id": "a", "kind": "wait", "params": {"duration_ms": 1}, "approval": {"timeout_ms": 0}}],
     "steps[0].approval.timeout_ms"),
    ([{"id": "a", "kind": "wait", "params": {"duration_ms": 1},
       "approval": {"timeout_ms": 5, "on_timeout": "escalate"}}], "steps[0].approval.escalate_to"),
    ([{"id": "a", "kind": "task", "params": {"name": "t"}, "compensation": {"kind": "task", "params": {}}}],
     "steps[0].compensation.params.name"),
])
def test_a_bad_runbook_names_the_field(steps: list, field: str) -> None:
    with pytest.raises(ValidationError) as e:
        Runbook.from_dict(book(*steps))
    assert e.value.field == field


def test_a_gate_checks_roles() -> None:
    gate = ApprovalGate(60_000, roles=("admin",))
    assert gate.allows("admin") and not gate.allows("responder")
    assert ApprovalGate(60_000, roles=()).allows("viewer")
