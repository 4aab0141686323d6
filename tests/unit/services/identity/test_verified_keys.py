"""Recently verified API keys (services/identity/verified_keys.py): remembered for a few
seconds, forgotten at once when the tenant's credentials change in this process or in
another one, and never past the key's own expiry."""

from __future__ import annotations

import asyncio

import pytest

from adapters.memory.cache import MemoryPubSub
from domain.errors import AuthenticationFailed
from domain.identity.permissions import Role
from domain.identity.principal import Principal
from services.config_changes import CONFIG_CHANNEL, ConfigWatcher
from services.identity import Actor, ApiKeyService, Authenticator
from services.identity.verified_keys import KIND, VerifiedKeys, credential_digest
from tests.unit.services.identity.conftest import T


async def _revoke_behind_the_services_back(rig, key) -> None:
    now = rig.clock.now_ms()
    await rig.uow.run(lambda u: u.api_keys.save(key.revoke(now)))


async def test_a_verified_key_is_not_looked_up_again_until_its_time_is_up(rig):
    key, plaintext = await rig.keys.create_api_key(T, "agent", ["ingest"])
    assert (await rig.auth.api_key(plaintext)).subject == f"api_key:{key.id}"
    await _revoke_behind_the_services_back(rig, key)
    rig.clock.advance(4_999)
    assert (await rig.auth.api_key(plaintext)).subject == f"api_key:{key.id}"  # remembered
    rig.clock.advance(1)
    with pytest.raises(AuthenticationFailed, match="revoked"):
        await rig.auth.api_key(plaintext)


async def test_a_key_revoked_or_rotated_through_the_service_is_refused_at_once(rig):
    key, plaintext = await rig.keys.create_api_key(T, "agent", ["ingest"])
    other, other_plain = await rig.keys.create_api_key(T, "grafana", ["read"])
    await rig.auth.api_key(plaintext)
    await rig.auth.api_key(other_plain)
    await rig.keys.revoke_key(T, key.id, Actor.of(rig.admin))
    with pytest.raises(AuthenticationFailed):
        await rig.auth.api_key(plaintext)
    new, new_plain = await rig.keys.rotate_key(T, other.id, Actor.of(rig.admin))
    with pytest.raises(AuthenticationFailed):
        await rig.auth.api_key(other_plain)
    assert (await rig.auth.api_key(new_plain)).subject == f"api_key:{new.id}"


async def test_deactivating_the_owner_or_the_tenant_refuses_remembered_keys_at_once(rig):
    ada = await rig.user("ada", "responder")
    _, owned = await rig.keys.create_api_key(T, "agent", ["read"], owner=ada.id)
    _, tenant_key = await rig.keys.create_api_key("globex", "ci", ["read"])
    await rig.auth.api_key(owned)
    await rig.auth.api_key(tenant_key)
    await rig.accounts.deactivate(T, Actor.of(rig.admin), ada.id)
    with pytest.raises(AuthenticationFailed):
        await rig.auth.api_key(owned)
    assert await rig.auth.api_key(tenant_key)
    await rig.tenants.deactivate_tenant(Actor.of(rig.admin), "globex")
    with pytest.raises(AuthenticationFailed, match="deactivated"):
        await rig.auth.api_key(tenant_key)


async def test_a_key_is_not_remembered_past_its_expiry(rig):
    _, plaintext = await rig.keys.create_api_key(T, "short", ["ingest"], expires_in_days=1)
    rig.clock.advance(86_400_000 - 1_000)
    await rig.auth.api_key(plaintext)  # remembered for 1 s, not 5
    rig.clock.advance(1_000)
    with pytest.raises(AuthenticationFailed, match="expired"):
        await rig.auth.api_key(plaintext)


async def test_another_processs_change_reaches_this_process_through_the_config_channel(rig):
    """Two API processes share the database and the pub/sub: a revocation through one
    is heard by the other's config watcher, which forgets the tenant's keys."""
    pubsub = MemoryPubSub()
    here, there = VerifiedKeys(ttl_ms=60_000, pubsub=pubsub), VerifiedKeys(ttl_ms=60_000, pubsub=pubsub)
    auth_there = Authenticator(rig.uow, rig.clock, verified_keys=there)
    watcher = ConfigWatcher(pubsub)
    watcher.on(KIND, there.forget)
    stop = asyncio.Event()
    running = asyncio.create_task(watcher.run(stop))
    await asyncio.sleep(0)  # subscribed
    try:
        key, plaintext = await rig.keys.create_api_key(T, "agent", ["ingest"])
        await auth_there.api_key(plaintext)
        await ApiKeyService(rig.uow, rig.clock, here).revoke_key(T, key.id, Actor.of(rig.admin))
        for _ in range(100):
            if not len(there):
                break
            await asyncio.sleep(0.01)
        with pytest.raises(AuthenticationFailed):
            await auth_there.api_key(plaintext)
    finally:
        stop.set()
        await running


async def test_a_change_is_announced_on_the_config_channel(rig):
    pubsub = MemoryPubSub()
    heard = pubsub.subscribe([CONFIG_CHANNEL])
    await VerifiedKeys(pubsub=pubsub).changed("globex")
    channel, payload = await asyncio.wait_for(anext(heard), 1)
    assert channel == CONFIG_CHANNEL and b'"tenant":"globex"' in payload and b'"kind":"credentials"' in payload


async def test_a_lifetime_of_zero_remembers_nothing(rig):
    key, plaintext = await rig.keys.create_api_key(T, "agent", ["ingest"])
    auth = Authenticator(rig.uow, rig.clock, verified_keys=VerifiedKeys(ttl_ms=0))
    await auth.api_key(plaintext)
    await _revoke_behind_the_services_back(rig, key)
    with pytest.raises(AuthenticationFailed):
        await auth.api_key(plaintext)


def test_the_cache_is_bounded_and_forgets_only_the_tenant_asked():
    keys = VerifiedKeys(ttl_ms=1_000, capacity=3)
    for n, tenant in enumerate(["a", "b", "a", "b"]):
        keys.put(credential_digest(f"k{n}"), Principal(tenant, f"api_key:{n}", Role.ADMIN), 0, None)
    assert len(keys) == 3 and keys.get(credential_digest("k0"), 10) is None  # the oldest went
    keys.forget("a")
    assert [keys.get(credential_digest(f"k{n}"), 10) is not None for n in (1, 2, 3)] == [True, False, True]
