"""Contract of the entity repositories of ports.repositories (rules, alerts, silences,
tenants, API keys), run against every adapter (see RUNNERS in repositories_support.py)."""

from __future__ import annotations

import pytest

from domain.alerts.silences import Silence
from domain.alerts.state import Alert, AlertState
from domain.errors import Conflict
from domain.identity.api_keys import generate_api_key
from domain.identity.tenants import Tenant
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


# ------------------------------------------------------------------------ tenants


async def test_tenants_add_get_list(uow):
    await uow.run(lambda u: [u.tenants.add(Tenant("acme", "Acme Corp")), u.tenants.add(Tenant("globex", "Globex"))])
    assert await uow.run(lambda u: u.tenants.get("acme")) == Tenant("acme", "Acme Corp")
    assert await uow.run(lambda u: u.tenants.get("initech")) is None
    assert sorted(t.id for t in await uow.run(lambda u: u.tenants.list())) == ["acme", "globex"]
    with pytest.raises(Conflict):
        await uow.run(lambda u: u.tenants.add(Tenant("acme", "Again")))


# ----------------------------------------------------------------------- api keys


async def test_api_keys_by_prefix_list_and_revoke(uow):
    key, plaintext = generate_api_key("acme", "agent", ["ingest"], T0, "k-1")
    theirs, _ = generate_api_key("globex", "agent", ["read"], T0, "k-2")
    await uow.run(lambda u: [u.api_keys.add(key), u.api_keys.add(theirs)])

    found = await uow.run(lambda u: u.api_keys.by_prefix(key.prefix))
    assert found == key and found.verify(plaintext, T0 + 1)
    assert await uow.run(lambda u: u.api_keys.by_prefix("0" * 12 if key.prefix != "0" * 12 else "1" * 12)) is None
    assert [k.id for k in await uow.run(lambda u: u.api_keys.list("acme"))] == ["k-1"]
    assert [k.id for k in await uow.run(lambda u: u.api_keys.list("globex"))] == ["k-2"]

    await uow.run(lambda u: u.api_keys.save(key.revoke(T0 + 5)))
    revoked = await uow.run(lambda u: u.api_keys.by_prefix(key.prefix))
    assert revoked.revoked_at_ms == T0 + 5 and not revoked.verify(plaintext, T0 + 6)


async def test_an_api_key_prefix_is_unique(uow):
    key, _ = generate_api_key("acme", "agent", ["ingest"], T0, "k-1")
    await uow.run(lambda u: u.api_keys.add(key))
    clash = type(key)(
        id="k-2", tenant="globex", name="other", prefix=key.prefix, secret_hash="0" * 64,
        scopes=key.scopes, created_at_ms=T0,
    )
    with pytest.raises(Conflict):
        await uow.run(lambda u: u.api_keys.add(clash))
    assert (await uow.run(lambda u: u.api_keys.by_prefix(key.prefix))).id == "k-1"
