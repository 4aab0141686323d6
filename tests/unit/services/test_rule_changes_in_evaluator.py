"""The running evaluator takes up rule changes made through RuleService: a disabled or
deleted rule's firing alert resolves, a re-tuned rule keeps its alert and evaluates
with its new parameters, a rule making other alerts (new labels) starts afresh."""

from __future__ import annotations

from domain.alerts.rules import AbsenceRule
from services.identity.audit import Actor
from services.rules import RuleService
from tests.unit.services.conftest import NOW_MS, System
from tests.unit.services.test_alert_flow import alert_states, high_cpu, ramp

ADMIN = Actor("usr-admin", "admin", "t1")


async def _firing(system: System) -> RuleService:
    rules = RuleService(system.uow, system.clock)
    await rules.create(ADMIN, high_cpu(for_ms=0))
    await system.send("cpu", {"env": "prod", "host": "a"}, ramp(NOW_MS - 30_000, [0.9, 0.9]))
    await system.step()
    assert await alert_states(system) == ["firing"]
    return rules


async def test_disabling_a_rule_resolves_its_alert_and_enabling_it_evaluates_again(system: System) -> None:
    rules = await _firing(system)
    await rules.set_enabled(ADMIN, "t1", "r1", False, 1)
    system.evaluator.rules_changed()  # what the ConfigWatcher does on the announcement
    await system.send("cpu", {"env": "prod", "host": "a"}, ramp(NOW_MS - 20_000, [0.9]))
    await system.step()
    assert await alert_states(system) == ["resolved"]

    await rules.set_enabled(ADMIN, "t1", "r1", True, 2)
    system.evaluator.rules_changed()
    await system.send("cpu", {"env": "prod", "host": "a"}, ramp(NOW_MS - 15_000, [0.9]))
    await system.step()
    assert await alert_states(system) == ["firing"]


async def test_deleting_a_rule_resolves_its_alert(system: System) -> None:
    rules = await _firing(system)
    await rules.delete(ADMIN, "t1", "r1", 1)
    await system.evaluator.refresh_rules(force=True)
    assert await alert_states(system) == ["resolved"]
    await system.step()  # the pipeline hears the resolution
    assert len(system.evaluator.watches) == 0


async def test_a_new_threshold_keeps_the_alert_and_applies_at_the_next_sample(system: System) -> None:
    rules = await _firing(system)
    [before] = await system.alerts.alerts("t1")
    await rules.replace(ADMIN, high_cpu(for_ms=0).__class__(**{**_fields(high_cpu(for_ms=0)), "threshold": 0.95}), 1)
    await system.evaluator.refresh_rules(force=True)
    assert await alert_states(system) == ["firing"]  # re-tuned, not withdrawn
    [same] = await system.alerts.alerts("t1")
    assert same.fired_at_ms == before.fired_at_ms
    await system.send("cpu", {"env": "prod", "host": "a"}, ramp(NOW_MS - 20_000, [0.9]))
    await system.step()
    assert await alert_states(system) == ["resolved"]  # avg 0.9 is not > 0.95


async def test_new_labels_make_other_alerts_and_the_old_one_resolves(system: System) -> None:
    rules = await _firing(system)
    relabelled = high_cpu(for_ms=0).__class__(**{**_fields(high_cpu(for_ms=0)), "labels": {"severity": "page"}})
    await rules.replace(ADMIN, relabelled, 1)
    await system.evaluator.refresh_rules(force=True)
    await system.send("cpu", {"env": "prod", "host": "a"}, ramp(NOW_MS - 20_000, [0.9]))
    await system.step()
    alerts = {a.labels.get("severity"): a.state.value for a in await system.alerts.alerts("t1")}
    assert alerts == {"warning": "resolved", "page": "firing"}


async def test_a_disabled_absence_rule_is_not_evaluated(system: System) -> None:
    rules = RuleService(system.uow, system.clock)
    await rules.create(ADMIN, AbsenceRule(id="gone", tenant="t1", name="NoHeartbeat", selector="up",
                                          absent_for_ms=60_000, enabled=False))
    system.clock.advance(120_000)
    await system.evaluator.tick()
    assert await alert_states(system) == []
    await rules.set_enabled(ADMIN, "t1", "gone", True, 1)
    system.evaluator.rules_changed()
    system.clock.advance(120_000)
    await system.evaluator.tick()
    assert await alert_states(system) == ["firing"]


def _fields(rule) -> dict:
    import dataclasses

    return {f.name: getattr(rule, f.name) for f in dataclasses.fields(rule)}
