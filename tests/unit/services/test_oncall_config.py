"""The on-call configuration service and the stored directory: the seed file seeds a
tenant once (never again, even after everything was deleted), a bad seed names the file's
entry, writes announce ``oncall``, the directory's cache follows announcements and
expires on its own, and policies are chosen by severity."""

from __future__ import annotations

import asyncio
import json

import pytest

from adapters.memory.cache import MemoryPubSub
from adapters.memory.oncall import MemoryOnCallDirectory, read_seeds
from adapters.memory.repositories import MemoryUnitOfWorkRunner
from domain.errors import ValidationError
from domain.identity import Role, User
from domain.identity.audit import AuditQuery
from ports.oncall_store import POLICY, SCHEDULE
from services.config_changes import CONFIG_CHANNEL
from services.identity import Actor
from services.oncall_config import OnCallConfigService, OnCallSeed
from services.oncall_directory import StoredOnCallDirectory
from tests.support.clock import FakeClock

T0 = 1_800_000_000_000
ADMIN = Actor("usr-admin", "admin", "acme")


def seed_file(tmp_path, **extra):
    path = tmp_path / "oncall.json"
    path.write_text(json.dumps({
        "policies": [{"id": "all", "tenant": "acme", "name": "All", "levels": [
            {"timeout_ms": 60_000, "targets": [{"kind": "schedule", "ref": "primary"}]}]},
            {"id": "crit", "tenant": "acme", "severities": ["SEV1"], "levels": [
                {"timeout_ms": 60_000, "targets": [{"kind": "user", "ref": "boss"}]}]}],
        "schedules": [{"id": "primary", "tenant": "acme", "name": "Primary", "layers": [
            {"name": "main", "rotation": {"users": ["alice", "bob"], "start_ms": 0}}]}],
        "contacts": [{"tenant": "acme", "user": "alice", "channel": "log"}], **extra}))
    return path


async def test_the_file_seeds_a_tenant_once_and_never_after_its_resources_were_deleted(tmp_path):
    uow, clock = MemoryUnitOfWorkRunner(), FakeClock(T0)
    seeds = read_seeds(seed_file(tmp_path))
    assert set(seeds) == {"acme"} and len(seeds["acme"].policies) == 2
    config = OnCallConfigService(uow, clock, None, seeds)
    assert [r.id for r in await config.list("acme", POLICY)] == ["all", "crit"]
    assert [r.id for r in await config.list("other", SCHEDULE)] == []
    entries = await uow.run(lambda u: u.audit.query(AuditQuery("acme", limit=10)))
    assert sorted(e.action for e in entries) == ["oncall.policy.seed", "oncall.policy.seed", "oncall.schedule.seed"]

    for kind, rid in ((POLICY, "all"), (POLICY, "crit"), (SCHEDULE, "primary")):
        await config.delete(ADMIN, "acme", kind, rid, 1)
    again = OnCallConfigService(uow, clock, None, seeds)  # a restart: a new process, the same store
    assert await again.list("acme", POLICY) == [] and await again.list("acme", SCHEDULE) == []


async def test_a_tenant_that_already_has_resources_is_not_seeded(tmp_path):
    uow, clock = MemoryUnitOfWorkRunner(), FakeClock(T0)
    await uow.run(lambda u: u.users.add(User("usr-ada", "acme", "ada", "ada@example.com", "Ada", Role.ADMIN,
                                             created_at_ms=T0)))
    await OnCallConfigService(uow, clock).create(ADMIN, "acme", SCHEDULE, {"id": "mine", "layers": [
        {"name": "l", "rotation": {"users": ["ada"], "start_ms": 0}}]})
    seeded = OnCallConfigService(uow, clock, None, read_seeds(seed_file(tmp_path)))
    assert [r.id for r in await seeded.list("acme", SCHEDULE)] == ["mine"]


async def test_a_bad_seed_names_the_entry_and_stores_nothing(tmp_path):
    uow, clock = MemoryUnitOfWorkRunner(), FakeClock(T0)
    seeds = {"acme": OnCallSeed(schedules=({"id": "s", "layers": [{"name": "l", "rotation": {"users": []}}]},))}
    with pytest.raises(ValidationError) as e:
        await OnCallConfigService(uow, clock, None, seeds).list("acme", SCHEDULE)
    assert e.value.field == "oncall_file.schedules[0].layers[0].rotation.users"
    assert await uow.run(lambda u: u.oncall.count("acme")) == 0


async def test_writes_announce_oncall_and_the_directory_follows(tmp_path):
    uow, clock, pubsub = MemoryUnitOfWorkRunner(), FakeClock(T0), MemoryPubSub()
    config = OnCallConfigService(uow, clock, pubsub, read_seeds(seed_file(tmp_path)))
    directory = StoredOnCallDirectory(config, clock, MemoryOnCallDirectory.from_file(seed_file(tmp_path)),
                                      max_age_ms=30_000)
    heard = pubsub.subscribe([CONFIG_CHANNEL])
    listening = asyncio.ensure_future(heard.__anext__())
    await asyncio.sleep(0)

    assert (await directory.policy_for("acme", "SEV1")).id == "crit"  # by severity first
    assert (await directory.policy_for("acme", "SEV3")).id == "all"  # else the catch-all
    assert [s.id for s in await directory.schedules("acme", ["primary", "nope"])] == ["primary"]
    assert (await directory.contact("acme", "alice")).channel == "log"  # contacts stay the file's
    assert json.loads((await asyncio.wait_for(listening, 1))[1]) == {
        "type": "config_changed", "tenant": "acme", "kind": "oncall"}  # the seed announced itself

    await config.delete(ADMIN, "acme", POLICY, "crit", 1)
    assert (await directory.policy_for("acme", "SEV1")).id == "crit"  # cached until told or expired
    directory.reload("acme")
    assert (await directory.policy_for("acme", "SEV1")).id == "all"

    await config.delete(ADMIN, "acme", POLICY, "all", 1)
    assert (await directory.policy_for("acme", "SEV1")).id == "all"
    clock.advance(30_000)  # a lost announcement costs at most max_age_ms
    assert await directory.policy_for("acme", "SEV1") is None
