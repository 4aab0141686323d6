"""Contract of ports.repositories.ComplianceRepository (``uow.compliance``): evaluations
with their evidence (one per control and instant, newest first, latest per control),
pushed facts with who and when, tenant isolation and rollback, run against every
adapter (RUNNERS in repositories_support.py).

An adapter whose unit of work has no ``compliance`` repository yet is reported as an
expected failure naming what is missing, not skipped silently; once it has one, every
test here runs on it for real.
"""

from __future__ import annotations

import math

import pytest

from domain.compliance.checks import Evidence
from domain.compliance.evaluation import ControlStatus, Evaluation
from domain.errors import ValidationError
from tests.contract.repositories_support import T0, Boom, uow  # noqa: F401  (uow is the fixture)


@pytest.fixture
async def repo_uow(uow):  # noqa: F811
    return uow


def ev(control="OE-1", at=T0, status=ControlStatus.PASS, tenant="acme", observed: object = True) -> Evaluation:
    evidence = (Evidence("fact", "audit.enabled", observed, True, at, "eq", status is ControlStatus.PASS),)
    error = "fact 'audit.enabled' is missing" if status is ControlStatus.ERROR else None
    return Evaluation(control, tenant, status, evidence, at, error)


async def test_evaluations_round_trip_with_their_evidence(repo_uow):
    nested = {"a": [1, 2.5, None, "x"], "b": {"c": False}}
    rows = [ev("OE-1", observed=nested), ev("OE-2", status=ControlStatus.ERROR, observed=None),
            Evaluation("OE-3", "acme", ControlStatus.FAIL,
                       (Evidence("metric", "max(x[1h])", math.inf, 86400.0, T0, "lt", False),), T0)]
    await repo_uow.run(lambda u: u.compliance.save_evaluations("acme", rows))

    latest = await repo_uow.run(lambda u: u.compliance.latest("acme"))
    assert [e.control_id for e in latest] == ["OE-1", "OE-2", "OE-3"]
    assert latest[0].evidence[0].observed in (nested, {"a": (1, 2.5, None, "x"), "b": {"c": False}})
    assert latest[1].status is ControlStatus.ERROR and latest[1].error == "fact 'audit.enabled' is missing"
    assert latest[2].evidence[0].observed == math.inf and latest[2].evidence[0].passed is False


async def test_history_is_newest_first_and_latest_is_per_control(repo_uow):
    for at, status in ((T0, ControlStatus.PASS), (T0 + 2, ControlStatus.FAIL), (T0 + 1, ControlStatus.ERROR)):
        await repo_uow.run(lambda u, at=at, s=status: u.compliance.save_evaluations("acme", [ev("OE-1", at, s)]))
    await repo_uow.run(lambda u: u.compliance.save_evaluations("acme", [ev("OE-2", T0)]))

    history = await repo_uow.run(lambda u: u.compliance.history("acme", "OE-1", 10))
    assert [(e.evaluated_at_ms, e.status) for e in history] == [
        (T0 + 2, ControlStatus.FAIL), (T0 + 1, ControlStatus.ERROR), (T0, ControlStatus.PASS)]
    assert [e.evaluated_at_ms for e in await repo_uow.run(lambda u: u.compliance.history("acme", "OE-1", 2))] == [T0 + 2, T0 + 1]
    assert await repo_uow.run(lambda u: u.compliance.history("acme", "OE-9", 10)) == []
    latest = await repo_uow.run(lambda u: u.compliance.latest("acme"))
    assert [(e.control_id, e.evaluated_at_ms) for e in latest] == [("OE-1", T0 + 2), ("OE-2", T0)]


async def test_saving_the_same_instant_again_replaces(repo_uow):
    await repo_uow.run(lambda u: u.compliance.save_evaluations("acme", [ev("OE-1", T0, ControlStatus.ERROR)]))
    await repo_uow.run(lambda u: u.compliance.save_evaluations("acme", [ev("OE-1", T0, ControlStatus.PASS)]))
    history = await repo_uow.run(lambda u: u.compliance.history("acme", "OE-1", 10))
    assert [(e.evaluated_at_ms, e.status) for e in history] == [(T0, ControlStatus.PASS)]


async def test_evaluations_of_another_tenant_are_refused_and_tenants_are_isolated(repo_uow):
    with pytest.raises(ValidationError):
        await repo_uow.run(lambda u: u.compliance.save_evaluations("acme", [ev(tenant="globex")]))
    await repo_uow.run(lambda u: u.compliance.save_evaluations("globex", [ev(tenant="globex")]))
    await repo_uow.run(lambda u: u.compliance.set_facts("globex", {"a.b": 1}, T0, "ci"))
    assert await repo_uow.run(lambda u: u.compliance.latest("acme")) == []
    assert await repo_uow.run(lambda u: u.compliance.history("acme", "OE-1", 10)) == []
    assert await repo_uow.run(lambda u: u.compliance.facts("acme")) == {}


async def test_facts_merge_with_who_and_when(repo_uow):
    await repo_uow.run(lambda u: u.compliance.set_facts(
        "acme", {"audit.enabled": False, "ingest.tls": {"enabled": True}, "list.v": ("1.2", "1.3"), "n.v": None},
        T0, "terraform"))
    await repo_uow.run(lambda u: u.compliance.set_facts("acme", {"audit.enabled": True}, T0 + 5, "cmdb"))

    facts = await repo_uow.run(lambda u: u.compliance.facts("acme"))
    assert set(facts) == {"audit.enabled", "ingest.tls", "list.v", "n.v"}
    f = facts["audit.enabled"]
    assert (f.key, f.value, f.source, f.updated_at_ms) == ("audit.enabled", True, "cmdb", T0 + 5)
    assert (facts["ingest.tls"].value, facts["ingest.tls"].source) == ({"enabled": True}, "terraform")
    assert tuple(facts["list.v"].value) == ("1.2", "1.3") and facts["n.v"].value is None


async def test_a_failed_unit_of_work_keeps_no_evaluation_and_no_fact(repo_uow):
    def work(u):
        u.compliance.save_evaluations("acme", [ev()])
        u.compliance.set_facts("acme", {"a.b": 1}, T0, "ci")
        raise Boom

    with pytest.raises(Boom):
        await repo_uow.run(work)
    assert await repo_uow.run(lambda u: (u.compliance.latest("acme"), u.compliance.facts("acme"))) == ([], {})
