"""The routing repository contract (ports/routing.py) on every adapter (memory, Django
on SQLite and on PostgreSQL): documents round-trip, versions guard every write, tenants
and kinds are isolated, the revision counts changes, a failed unit of work leaves nothing."""

from __future__ import annotations

import pytest

from domain.errors import Conflict, NotFound
from ports.routing import ROOT, RoutingItem, RoutingKind
from tests.contract.repositories_support import uow  # noqa: F401  (uow is the fixture)

RECEIVER = RoutingKind.RECEIVER


def item(name: str = "ops", tenant: str = "acme", version: int = 1, kind: RoutingKind = RECEIVER, **doc) -> RoutingItem:
    document = doc or {"name": name, "webhook_configs": [{"url": {"$sealed": "v1.abc"}, "max_alerts": 3}], "note": "é"}
    return RoutingItem(tenant, kind, name, document, version, "alice", 1_700_000_000_000 + version)


async def test_an_item_round_trips_and_lists_by_name_per_tenant_and_kind(uow) -> None:
    for it in (item("b"), item("a"), item("a", tenant="beta"), item(ROOT, kind=RoutingKind.TREE, receiver="a"),
               item("a", kind=RoutingKind.TIME_INTERVAL, time_intervals=[])):
        await uow.run(lambda u, it=it: u.routing.add(it))
    assert await uow.run(lambda u: u.routing.get("acme", RECEIVER, "b")) == item("b")
    assert [i.name for i in await uow.run(lambda u: u.routing.list("acme", RECEIVER))] == ["a", "b"]
    assert [i.name for i in await uow.run(lambda u: u.routing.list("beta", RECEIVER))] == ["a"]
    assert await uow.run(lambda u: u.routing.list("acme", RoutingKind.INHIBIT_RULE)) == []
    tree = await uow.run(lambda u: u.routing.get("acme", RoutingKind.TREE, ROOT))
    assert tree is not None and tree.document == {"receiver": "a"}
    assert await uow.run(lambda u: u.routing.get("beta", RECEIVER, "b")) is None


async def test_adding_an_existing_name_conflicts(uow) -> None:
    await uow.run(lambda u: u.routing.add(item()))
    with pytest.raises(Conflict):
        await uow.run(lambda u: u.routing.add(item(version=1)))


async def test_replace_and_delete_check_the_version(uow) -> None:
    await uow.run(lambda u: u.routing.add(item()))
    await uow.run(lambda u: u.routing.replace(item(version=2, changed=True), 1))
    assert (await uow.run(lambda u: u.routing.get("acme", RECEIVER, "ops"))).document == {"changed": True}
    with pytest.raises(Conflict) as stale:
        await uow.run(lambda u: u.routing.replace(item(version=2), 1))
    assert stale.value.current_version == 2
    with pytest.raises(Conflict) as stale_delete:
        await uow.run(lambda u: u.routing.delete("acme", RECEIVER, "ops", 1))
    assert stale_delete.value.current_version == 2
    with pytest.raises(NotFound):
        await uow.run(lambda u: u.routing.replace(item("nope", version=2), 1))
    with pytest.raises(NotFound):
        await uow.run(lambda u: u.routing.delete("beta", RECEIVER, "ops", 2))
    await uow.run(lambda u: u.routing.delete("acme", RECEIVER, "ops", 2))
    assert await uow.run(lambda u: u.routing.get("acme", RECEIVER, "ops")) is None


async def test_the_revision_counts_changes_and_guards_a_whole_import(uow) -> None:
    assert await uow.run(lambda u: u.routing.revision("acme")) == 0
    assert await uow.run(lambda u: u.routing.bump("acme", 0)) == 1
    with pytest.raises(Conflict) as taken:
        await uow.run(lambda u: u.routing.bump("acme", 0))  # a second seeder loses
    assert taken.value.current_version == 1
    assert await uow.run(lambda u: u.routing.bump("acme")) == 2
    assert await uow.run(lambda u: u.routing.bump("acme", 2)) == 3
    assert await uow.run(lambda u: u.routing.bump("beta")) == 1
    assert await uow.run(lambda u: u.routing.revision("acme")) == 3


async def test_a_failed_unit_of_work_leaves_nothing(uow) -> None:
    def work(u) -> None:
        u.routing.add(item())
        u.routing.bump("acme")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await uow.run(work)
    assert await uow.run(lambda u: u.routing.list("acme", RECEIVER)) == []
    assert await uow.run(lambda u: u.routing.revision("acme")) == 0
