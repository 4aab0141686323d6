"""Contract of ports.repositories: the unit of work (commit, rollback, copies) and the
incident repository (optimistic concurrency, dedup lookups, tenant isolation), run
against every adapter (see RUNNERS in repositories_support.py).
"""

from __future__ import annotations

import pytest

from domain.alerts.state import Alert
from domain.errors import Conflict
from domain.identity.api_keys import generate_api_key
from domain.identity.tenants import Tenant
from domain.incidents.incident import IncidentStatus
from domain.metrics.labels import LabelSet
from tests.contract.repositories_support import T0, Boom, add_incident, incident, rule, silence, uow  # noqa: F401


# ------------------------------------------------------------------ unit of work


async def test_run_returns_the_work_result_and_commits(uow):
    assert await uow.run(lambda u: (u.rules.add(rule()), "done")[1]) == "done"
    assert await uow.run(lambda u: u.rules.get("acme", "r-1")) == rule()


async def test_an_exception_rolls_back_every_change(uow):
    await add_incident(uow, incident())
    await uow.run(lambda u: u.rules.add(rule()))

    def work(u):
        u.rules.add(rule("r-2"))
        u.rules.remove("acme", "r-1")
        inc = u.incidents.get("acme", "inc-1")
        inc.acknowledge("alice", T0 + 1)
        u.incidents.save(inc)
        u.incidents.add(incident("inc-2", dedup_key="grp-2"))
        u.silences.add(silence())
        u.tenants.add(Tenant("acme", "Acme"))
        u.api_keys.add(generate_api_key("acme", "agent", ["ingest"], T0, "k-1")[0])
        u.alerts.save(Alert.new("acme", "r-1", LabelSet.of({"alertname": "HighCpu"})))
        raise Boom

    with pytest.raises(Boom):
        await uow.run(work)

    def state(u):
        return (
            [r.id for r in u.rules.list()], u.incidents.get("acme", "inc-1").status, u.incidents.get("acme", "inc-2"),
            u.silences.list("acme"), u.tenants.list(), u.api_keys.list("acme"), u.alerts.list("acme"),
        )

    assert await uow.run(state) == (["r-1"], IncidentStatus.TRIGGERED, None, [], [], [], [])


async def test_entities_read_are_copies(uow):
    original = incident()
    await add_incident(uow, original)
    original.acknowledge("bob", T0 + 1)  # the caller's object after add is not the stored row

    def mutate_without_saving(u):
        inc = u.incidents.get("acme", "inc-1")
        inc.acknowledge("alice", T0 + 1)
        inc.add_note("alice", "looking", T0 + 2)

    await uow.run(mutate_without_saving)
    stored = await uow.run(lambda u: u.incidents.get("acme", "inc-1"))
    assert stored.status is IncidentStatus.TRIGGERED
    assert [e.kind for e in stored.timeline] == ["opened"]


# ---------------------------------------------------------------------- incidents


async def test_incident_round_trips(uow):
    inc = incident()
    await add_incident(uow, inc)
    stored = await uow.run(lambda u: u.incidents.get("acme", "inc-1"))
    assert stored == inc
    assert stored.version >= 1


@pytest.mark.parametrize("my_changes", [1, 2, 3])
async def test_saving_a_stale_incident_raises_conflict(uow, my_changes):
    """Two copies read at the same version; bob saves first. Alice's copy is stale however
    many changes she made: the check is "stored version is still the one I read", and
    a stale copy must never overwrite bob's change (a lost update)."""
    await add_incident(uow, incident())

    def race(u):
        mine, theirs = u.incidents.get("acme", "inc-1"), u.incidents.get("acme", "inc-1")
        theirs.acknowledge("bob", T0 + 1)
        u.incidents.save(theirs)
        for n in range(my_changes):
            mine.add_note("alice", f"note {n}", T0 + 2 + n)
        u.incidents.save(mine)

    with pytest.raises(Conflict):
        await uow.run(race)
    stored = await uow.run(lambda u: u.incidents.get("acme", "inc-1"))
    assert (stored.status, [e.kind for e in stored.timeline]) == (IncidentStatus.TRIGGERED, ["opened"])


async def test_a_conflict_in_a_later_unit_of_work_keeps_the_first_save(uow):
    await add_incident(uow, incident())
    mine = await uow.run(lambda u: u.incidents.get("acme", "inc-1"))
    theirs = await uow.run(lambda u: u.incidents.get("acme", "inc-1"))
    theirs.acknowledge("bob", T0 + 1)
    await uow.run(lambda u: u.incidents.save(theirs))

    mine.add_note("alice", "late", T0 + 2)
    with pytest.raises(Conflict):
        await uow.run(lambda u: u.incidents.save(mine))
    assert (await uow.run(lambda u: u.incidents.get("acme", "inc-1"))).status is IncidentStatus.ACKNOWLEDGED


async def test_successive_saves_of_a_fresh_copy_succeed(uow):
    await add_incident(uow, incident())
    for step, action in enumerate([lambda i, t: i.acknowledge("a", t), lambda i, t: i.mitigate("a", t)]):
        def work(u, action=action, step=step):
            inc = u.incidents.get("acme", "inc-1")
            action(inc, T0 + step + 1)
            u.incidents.save(inc)
        await uow.run(work)
    assert (await uow.run(lambda u: u.incidents.get("acme", "inc-1"))).status is IncidentStatus.MITIGATED


async def test_adding_an_existing_incident_raises_conflict(uow):
    await add_incident(uow, incident())
    with pytest.raises(Conflict):
        await add_incident(uow, incident())


@pytest.mark.parametrize("final", [IncidentStatus.RESOLVED, IncidentStatus.CLOSED])
async def test_find_open_by_dedup_key_ignores_resolved_and_closed(uow, final):
    done = incident("inc-old")
    done.acknowledge("a", T0 + 1)
    done.mitigate("a", T0 + 2)
    done.resolve("a", T0 + 3)
    if final is IncidentStatus.CLOSED:
        done.close("a", T0 + 4)
    await add_incident(uow, done)
    assert await uow.run(lambda u: u.incidents.find_open_by_dedup_key("acme", "grp-1")) is None

    await add_incident(uow, incident("inc-new", at=T0 + 10))
    found = await uow.run(lambda u: u.incidents.find_open_by_dedup_key("acme", "grp-1"))
    assert found is not None and found.id == "inc-new"


async def test_find_open_by_dedup_key_finds_acknowledged_and_mitigated(uow):
    inc = incident()
    inc.acknowledge("a", T0 + 1)
    await add_incident(uow, inc)
    assert (await uow.run(lambda u: u.incidents.find_open_by_dedup_key("acme", "grp-1"))).id == "inc-1"
    inc2 = incident("inc-2", dedup_key="grp-2")
    inc2.acknowledge("a", T0 + 1)
    inc2.mitigate("a", T0 + 2)
    await add_incident(uow, inc2)
    assert (await uow.run(lambda u: u.incidents.find_open_by_dedup_key("acme", "grp-2"))).id == "inc-2"


async def test_incidents_list_filters_by_status_and_limits_newest_first(uow):
    for n in range(4):
        inc = incident(f"inc-{n}", dedup_key=f"g{n}", at=T0 + n * 1000)
        if n % 2:
            inc.acknowledge("a", T0 + n * 1000 + 1)
        await add_incident(uow, inc)

    everything = await uow.run(lambda u: u.incidents.list("acme"))
    assert [i.id for i in everything] == ["inc-3", "inc-2", "inc-1", "inc-0"]
    acked = await uow.run(lambda u: u.incidents.list("acme", [IncidentStatus.ACKNOWLEDGED]))
    assert [i.id for i in acked] == ["inc-3", "inc-1"]
    assert [i.id for i in await uow.run(lambda u: u.incidents.list("acme", limit=2))] == ["inc-3", "inc-2"]


async def test_incidents_are_isolated_by_tenant(uow):
    await add_incident(uow, incident("inc-1", tenant="acme"))
    await add_incident(uow, incident("inc-9", tenant="globex"))

    def view(u):
        return (
            u.incidents.get("globex", "inc-1"),
            [i.id for i in u.incidents.list("globex")],
            u.incidents.find_open_by_dedup_key("globex", "grp-1").id,
            u.incidents.find_open_by_dedup_key("initech", "grp-1"),
        )

    assert await uow.run(view) == (None, ["inc-9"], "inc-9", None)
