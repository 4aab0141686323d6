"""The rule group repository contract, on every adapter (memory, Django on SQLite and
on PostgreSQL): groups round-trip whole, one per (tenant, name), tenants isolated."""

from __future__ import annotations

from domain.alerts.rule_groups import AlertingRule, RecordingRule, RuleGroup
from tests.contract.repositories_support import uow  # noqa: F401  (uow is the fixture)


def group(name: str = "api", tenant: str = "acme", **changes) -> RuleGroup:
    base = RuleGroup(tenant, name, (
        RecordingRule("job:http:rate5m", "sum by (job) (rate(http_requests_total[5m]))", (("team", "web"),)),
        AlertingRule("HighErrors", "job:http:rate5m{code=~\"5..\"}\n  > 10", 600_000, 300_000,
                     (("severity", "page"), ("zone", "é")),
                     (("description", "{{ $value | humanize }} errors/s"), ("summary", "{{ $labels.job }} fails"))),
        AlertingRule("Plain", "vector(1)"),
    ), interval_ms=30_000, limit=5, source="api.rules.yml")
    return RuleGroup(**{**{f: getattr(base, f) for f in ("tenant", "name", "rules", "interval_ms", "limit", "source")},
                        "tenant": tenant, "name": name, **changes})


async def test_a_group_round_trips_whole(uow) -> None:
    saved = group()
    await uow.run(lambda u: u.rule_groups.save(saved))
    assert await uow.run(lambda u: u.rule_groups.get("acme", "api")) == saved
    assert await uow.run(lambda u: u.rule_groups.get("acme", "nope")) is None


async def test_save_replaces_the_group_of_the_same_name(uow) -> None:
    await uow.run(lambda u: u.rule_groups.save(group()))
    smaller = group(rules=(AlertingRule("Only", "up == 0"),), interval_ms=0, limit=0, source="")
    await uow.run(lambda u: u.rule_groups.save(smaller))
    assert await uow.run(lambda u: u.rule_groups.list("acme")) == [smaller]


async def test_list_orders_by_tenant_then_name_and_isolates_tenants(uow) -> None:
    for tenant, name in (("beta", "z"), ("acme", "b"), ("acme", "a")):
        await uow.run(lambda u, t=tenant, n=name: u.rule_groups.save(group(n, t)))
    assert [g.name for g in await uow.run(lambda u: u.rule_groups.list("acme"))] == ["a", "b"]
    assert [(g.tenant, g.name) for g in await uow.run(lambda u: u.rule_groups.list())] == [
        ("acme", "a"), ("acme", "b"), ("beta", "z")]
    assert await uow.run(lambda u: u.rule_groups.get("beta", "a")) is None


async def test_remove(uow) -> None:
    await uow.run(lambda u: u.rule_groups.save(group()))
    assert await uow.run(lambda u: u.rule_groups.remove("other", "api")) is False
    assert await uow.run(lambda u: u.rule_groups.remove("acme", "api")) is True
    assert await uow.run(lambda u: u.rule_groups.remove("acme", "api")) is False
    assert await uow.run(lambda u: u.rule_groups.list()) == []


async def test_a_failed_unit_of_work_leaves_no_group(uow) -> None:
    def work(u) -> None:
        u.rule_groups.save(group())
        raise RuntimeError("boom")

    try:
        await uow.run(work)
    except RuntimeError:
        pass
    assert await uow.run(lambda u: u.rule_groups.list()) == []
