"""Contract of the entity repositories of ports.repositories (rules, alerts, silences;
the identity ones are in test_identity_repositories.py), run against every adapter (see RUNNERS in repositories_support.py)."""

from __future__ import annotations

import pytest

from domain.alerts.silences import Silence
from domain.alerts.state import Alert, AlertState
from domain.errors import Conflict
from domain.metrics.labels import LabelSet
from tests.contract.repositories_support import T0, rule, silence, uow  # noqa: F401  (uow is the fixture)


def silence_fields(s: Silence) -> tuple:
    return (s.id, s.tenant, s.matchers, s.starts_at_ms, s.ends_at_ms, s.created_by, s.comment, s.recurrence, s.updated_at_ms)


def alert_fields(a: Alert) -> tuple:
    return (a.tenant, a.rule_id, a.labels, a.fingerprint, a.state, a.active_at_ms, a.fired_at_ms, a.last_eval_ms)


# -------------------------------------------------------------------------- rules


async def test_rules_add_get_list_remove(uow):
    await uow.run(lambda u: [u.rules.add(r) for r in (rule("r-1", name="B"), rule("r-2", name="A"), rule("r-3", "globex"))])

    assert await uow.run(lambda u: u.rules.get("acme", "r-1")) == rule("r-1", name="B")
    assert {r.id for r in await uow.run(lambda u: u.rules.list("acme"))} == {"r-1", "r-2"}
    assert {(r.tenant, r.id) for r in await uow.run(lambda u: u.rules.list())} == {
        ("acme", "r-1"), ("acme", "r-2"), ("globex", "r-3"),
    }

    assert await uow.run(lambda u: u.rules.remove("acme", "r-1")) is True
    assert await uow.run(lambda u: u.rules.remove("acme", "r-1")) is False
    assert await uow.run(lambda u: u.rules.get("acme", "r-1")) is None
    assert [r.id for r in await uow.run(lambda u: u.rules.list("acme"))] == ["r-2"]


async def test_rules_are_isolated_by_tenant(uow):
    await uow.run(lambda u: u.rules.add(rule("r-1", "acme")))
    assert await uow.run(lambda u: u.rules.get("globex", "r-1")) is None
    assert await uow.run(lambda u: u.rules.list("globex")) == []
    assert await uow.run(lambda u: u.rules.remove("globex", "r-1")) is False
    assert await uow.run(lambda u: u.rules.get("acme", "r-1")) is not None


async def test_adding_an_existing_rule_raises_conflict(uow):
    await uow.run(lambda u: u.rules.add(rule()))
    with pytest.raises(Conflict):
        await uow.run(lambda u: u.rules.add(rule()))


# ------------------------------------------------------------------------- alerts


async def test_alerts_save_get_and_list_by_state(uow):
    firing = Alert.new("acme", "r-1", LabelSet.of({"alertname": "HighCpu", "host": "a"}))
    firing.to_firing(T0)
    pending = Alert.new("acme", "r-1", LabelSet.of({"alertname": "HighCpu", "host": "b"}))
    pending.to_pending(T0)
    other = Alert.new("globex", "r-9", LabelSet.of({"alertname": "HighCpu", "host": "a"}))
    await uow.run(lambda u: [u.alerts.save(a) for a in (firing, pending, other)])

    got = await uow.run(lambda u: u.alerts.get("acme", firing.fingerprint))
    assert alert_fields(got) == alert_fields(firing)
    assert {a.fingerprint for a in await uow.run(lambda u: u.alerts.list("acme"))} == {firing.fingerprint, pending.fingerprint}
    only_firing = await uow.run(lambda u: u.alerts.list("acme", [AlertState.FIRING]))
    assert [a.fingerprint for a in only_firing] == [firing.fingerprint]

    firing.resolve(T0 + 1)
    await uow.run(lambda u: u.alerts.save(firing))
    assert alert_fields(await uow.run(lambda u: u.alerts.get("acme", firing.fingerprint))) == alert_fields(firing)
    assert [a.tenant for a in await uow.run(lambda u: u.alerts.list("globex"))] == ["globex"]


# ----------------------------------------------------------------------- silences


async def test_silences_add_get_save_list(uow):
    s = silence()
    await uow.run(lambda u: u.silences.add(s))
    assert silence_fields(await uow.run(lambda u: u.silences.get("acme", "s-1"))) == silence_fields(s)

    s.update_end(T0 + 7_200_000, T0 + 10)
    await uow.run(lambda u: u.silences.save(s))
    stored = await uow.run(lambda u: u.silences.get("acme", "s-1"))
    assert (stored.ends_at_ms, stored.updated_at_ms) == (T0 + 7_200_000, T0 + 10)

    await uow.run(lambda u: u.silences.add(silence("s-2", "globex")))
    assert [x.id for x in await uow.run(lambda u: u.silences.list("acme"))] == ["s-1"]
    assert await uow.run(lambda u: u.silences.get("globex", "s-1")) is None
