"""Escalation policies and on-call schedules as tenant-scoped configuration resources
(docs/adr/0017-configuration-resources.md, docs/adr/0019-on-call.md).

Every write parses the document in the domain (``oncall_documents``: an error names the
field), checks what it refers to inside the same unit of work (a policy's schedules, the
people a schedule or policy names), stores it with its version (409 on a stale one) and
writes the audit entry with before and after in that same unit of work; after the commit
it announces ``oncall`` so every process drops its cached copy (``StoredOnCallDirectory``).

The JSON file of earlier releases (``OBSERVER_ONCALL_FILE``) seeds a tenant once: the
first time a tenant's on-call configuration is read, if the tenant was never seeded and
has none, the file's policies and schedules for it are stored (audited as the system's).
After that only the stored resources count, even once they are all deleted.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.errors import Conflict, NotFound, ValidationError
from domain.incidents.oncall_documents import (
    PolicyDocument,
    ScheduleDocument,
    parse_override,
    parse_policy,
    parse_schedule,
    policy_document,
    schedule_document,
)
from ports.cache import PubSub
from ports.clock import Clock
from ports.oncall_store import POLICY, SCHEDULE, OnCallRecord
from ports.repositories import UnitOfWork, UnitOfWorkRunner
from services.config_changes import announce
from services.identity import Actor

ANNOUNCED_KIND = "oncall"
MAX_OVERRIDE_RETRIES = 5


@dataclass(frozen=True, slots=True)
class OnCallSeed:
    """What the seed file holds for one tenant: policy and schedule documents."""

    policies: tuple[Mapping[str, Any], ...] = ()
    schedules: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class OnCallSnapshot:
    """A tenant's whole on-call configuration, parsed (what the directory caches)."""

    policies: tuple[PolicyDocument, ...] = ()
    schedules: Mapping[str, ScheduleDocument] = field(default_factory=dict)


def parse_record(record: OnCallRecord) -> PolicyDocument | ScheduleDocument:
    parse = parse_policy if record.kind == POLICY else parse_schedule
    return parse(record.tenant, record.document)


def _document(kind: str, parsed: PolicyDocument | ScheduleDocument) -> dict[str, Any]:
    if kind == POLICY:
        assert isinstance(parsed, PolicyDocument)
        return policy_document(parsed)
    assert isinstance(parsed, ScheduleDocument)
    return schedule_document(parsed)


def _label(kind: str) -> str:
    return "escalation policy" if kind == POLICY else "schedule"


# ------------------------------------------------------------- reference checks


def _people(parsed: PolicyDocument | ScheduleDocument) -> list[tuple[str, str]]:
    """(field path, user ref) of every person a document names."""
    if isinstance(parsed, PolicyDocument):
        return [(f"levels[{i}].targets[{j}].ref", t.ref) for i, lv in enumerate(parsed.policy.levels)
                for j, t in enumerate(lv.targets) if t.kind == "user"]
    s = parsed.schedule
    out = [(f"layers[{i}].rotation.users[{j}]", u) for i, ly in enumerate(s.layers)
           for j, u in enumerate(ly.rotation.users)]
    return out + [(f"overrides[{i}].user", o.user) for i, o in enumerate(s.overrides)]


def check_people(uow: UnitOfWork, tenant: str, named: Sequence[tuple[str, str]]) -> None:
    """Every person named is a user of the tenant, by id or username: a typo would page
    nobody while the schedule claims coverage."""
    for path, ref in named:
        if uow.users.get(tenant, ref) is None and uow.users.by_username(tenant, ref) is None:
            raise ValidationError(f"no user {ref!r} in this tenant (name a user id or username)", field=path)


def _check_references(uow: UnitOfWork, tenant: str, parsed: PolicyDocument | ScheduleDocument) -> None:
    check_people(uow, tenant, _people(parsed))
    if isinstance(parsed, PolicyDocument):
        for i, lv in enumerate(parsed.policy.levels):
            for j, t in enumerate(lv.targets):
                if t.kind == "schedule" and uow.oncall.get(tenant, SCHEDULE, t.ref) is None:
                    raise ValidationError(f"no schedule {t.ref!r} in this tenant", field=f"levels[{i}].targets[{j}].ref")
                if t.kind == "team" and uow.teams.get(tenant, t.ref) is None:
                    raise ValidationError(f"no team {t.ref!r} in this tenant (name a team id)",
                                          field=f"levels[{i}].targets[{j}].ref")


def _policies_naming(uow: UnitOfWork, tenant: str, schedule_id: str) -> list[str]:
    return [r.id for r in uow.oncall.list(tenant, POLICY)
            if any(t.get("kind") == "schedule" and t.get("ref") == schedule_id
                   for lv in r.document.get("levels", []) for t in lv.get("targets", []))]


# --------------------------------------------------------------------- the service


class OnCallConfigService:
    def __init__(self, uow: UnitOfWorkRunner, clock: Clock, pubsub: PubSub | None = None,
                 seeds: Mapping[str, OnCallSeed] | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._pubsub = pubsub
        self._seeds = dict(seeds or {})
        self._seeded: set[str] = set()  # tenants this process saw seeded (or needing none)

    @property
    def uow(self) -> UnitOfWorkRunner:
        return self._uow

    @property
    def clock(self) -> Clock:
        return self._clock

    # -- seeding ---------------------------------------------------------------------

    async def ensure_seeded(self, tenant: str) -> None:
        """Store the seed file's resources for ``tenant`` if it was never seeded and has
        none (once per tenant, ever; a no-op for a tenant the file does not name)."""
        if tenant in self._seeded:
            return
        seed = self._seeds.get(tenant)
        if seed is None or not (seed.policies or seed.schedules):
            self._seeded.add(tenant)
            return
        now = self._clock.now_ms()
        actor = Actor.system("seed file")

        def work(uow: UnitOfWork) -> bool:
            if not uow.oncall.claim_seed(tenant, now) or uow.oncall.count(tenant):
                return False
            # Schedules first: a policy may name them. Seeded people are not checked
            # against the identity store (the file may predate the users).
            for kind, docs in ((SCHEDULE, seed.schedules), (POLICY, seed.policies)):
                for i, doc in enumerate(docs):
                    try:
                        parsed = (parse_schedule if kind == SCHEDULE else parse_policy)(tenant, doc)
                    except ValidationError as e:
                        raise e.at(f"oncall_file.{kind}s[{i}]") from None
                    record = OnCallRecord(tenant, kind, parsed.id, _name(parsed), _document(kind, parsed), 1,
                                          actor.subject, now)
                    uow.oncall.add(record)
                    uow.audit.add(actor.entry(tenant, f"oncall.{kind}.seed", f"{kind}:{parsed.id}", now,
                                              after=record.document))
            return True

        if await self._uow.run(work):
            await announce(self._pubsub, tenant, ANNOUNCED_KIND)
        self._seeded.add(tenant)

    # -- reads -----------------------------------------------------------------------

    async def list(self, tenant: str, kind: str) -> list[OnCallRecord]:
        await self.ensure_seeded(tenant)
        return await self._uow.run(lambda u: u.oncall.list(tenant, kind))

    async def get(self, tenant: str, kind: str, resource_id: str) -> OnCallRecord:
        await self.ensure_seeded(tenant)
        record = await self._uow.run(lambda u: u.oncall.get(tenant, kind, resource_id))
        if record is None:
            raise NotFound(f"no {_label(kind)} {resource_id!r}")
        return record

    async def schedule(self, tenant: str, schedule_id: str) -> ScheduleDocument:
        parsed = parse_record(await self.get(tenant, SCHEDULE, schedule_id))
        assert isinstance(parsed, ScheduleDocument)
        return parsed

    async def snapshot(self, tenant: str) -> OnCallSnapshot:
        """Every policy and schedule of the tenant, parsed, from one unit of work."""
        await self.ensure_seeded(tenant)
        policies, schedules = await self._uow.run(
            lambda u: (u.oncall.list(tenant, POLICY), u.oncall.list(tenant, SCHEDULE)))
        return OnCallSnapshot(tuple(parse_record(r) for r in policies),  # type: ignore[misc]
                              {r.id: parse_record(r) for r in schedules})  # type: ignore[misc]

    async def identities(self, tenant: str, user: str) -> frozenset[str]:
        """The names a person goes by in schedules: what was asked, and the user's id and
        username when the identity store knows them by either."""
        def work(uow: UnitOfWork) -> frozenset[str]:
            found = uow.users.get(tenant, user) or uow.users.by_username(tenant, user)
            return frozenset({user} | ({found.id, found.username} if found is not None else set()))

        return await self._uow.run(work)

    async def team_members(self, tenant: str, team_id: str) -> list[str] | None:
        team = await self._uow.run(lambda u: u.teams.get(tenant, team_id))
        return None if team is None else sorted(team.members)

    # -- writes ----------------------------------------------------------------------

    async def _commit(self, tenant: str, work: Callable[[UnitOfWork], Any]) -> Any:
        await self.ensure_seeded(tenant)  # a seed after a write would be skipped anyway: keep the order plain
        result = await self._uow.run(work)
        await announce(self._pubsub, tenant, ANNOUNCED_KIND)
        return result

    async def create(self, actor: Actor, tenant: str, kind: str, document: Mapping[str, Any]) -> OnCallRecord:
        parsed = (parse_policy if kind == POLICY else parse_schedule)(tenant, document)
        now = self._clock.now_ms()
        record = OnCallRecord(tenant, kind, parsed.id, _name(parsed), _document(kind, parsed), 1, actor.subject, now)

        def work(uow: UnitOfWork) -> OnCallRecord:
            _check_references(uow, tenant, parsed)
            uow.oncall.add(record)
            uow.audit.add(actor.entry(tenant, f"oncall.{kind}.create", f"{kind}:{parsed.id}", now,
                                      after=record.document))
            return record

        return await self._commit(tenant, work)

    async def replace(self, actor: Actor, tenant: str, kind: str, resource_id: str, document: Mapping[str, Any],
                      expected_version: int) -> OnCallRecord:
        """Replace the resource as of ``expected_version`` (``Conflict`` if it moved on)."""
        if document.get("id", resource_id) != resource_id:
            raise ValidationError(f"the {_label(kind)}'s id is {resource_id!r}; it cannot change", field="id")
        parsed = (parse_policy if kind == POLICY else parse_schedule)(tenant, {**document, "id": resource_id})
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> OnCallRecord:
            before = uow.oncall.get(tenant, kind, resource_id)
            if before is None:
                raise NotFound(f"no {_label(kind)} {resource_id!r}")
            if before.version != expected_version:
                raise Conflict(f"{_label(kind)} {resource_id!r} is at version {before.version}, not {expected_version}",
                               current_version=before.version)
            _check_references(uow, tenant, parsed)
            record = OnCallRecord(tenant, kind, resource_id, _name(parsed), _document(kind, parsed),
                                  expected_version + 1, actor.subject, now)
            uow.oncall.replace(record, expected_version)
            uow.audit.add(actor.entry(tenant, f"oncall.{kind}.update", f"{kind}:{resource_id}", now,
                                      before=before.document, after=record.document))
            return record

        return await self._commit(tenant, work)

    async def delete(self, actor: Actor, tenant: str, kind: str, resource_id: str, expected_version: int) -> None:
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> None:
            before = uow.oncall.get(tenant, kind, resource_id)
            if before is None:
                raise NotFound(f"no {_label(kind)} {resource_id!r}")
            if kind == SCHEDULE and (users := _policies_naming(uow, tenant, resource_id)):
                raise Conflict(f"escalation policies {', '.join(users)} page this schedule: change them first")
            uow.oncall.delete(tenant, kind, resource_id, expected_version)
            uow.audit.add(actor.entry(tenant, f"oncall.{kind}.delete", f"{kind}:{resource_id}", now,
                                      before=before.document))

        await self._commit(tenant, work)

    # -- overrides (a responder's tool: no version to name, retried on a race) --------

    async def add_override(self, actor: Actor, tenant: str, schedule_id: str,
                           document: Mapping[str, Any]) -> tuple[OnCallRecord, str]:
        """Add an override ``{user, start_ms, end_ms}`` to the schedule; its id is made
        here unless given. Concurrent changes to the schedule are re-read, not lost."""
        override_id, override = parse_override(document)
        override_id = override_id or f"ovr-{secrets.token_hex(6)}"
        check = [("user", override.user)]
        return await self._edit_overrides(actor, tenant, schedule_id, "oncall.override.create", override_id,
                                          lambda d: d.with_override(override_id, override), check)

    async def delete_override(self, actor: Actor, tenant: str, schedule_id: str, override_id: str) -> OnCallRecord:
        def without(d: ScheduleDocument) -> ScheduleDocument:
            changed = d.without_override(override_id)
            if changed is None:
                raise NotFound(f"schedule {schedule_id!r} has no override {override_id!r}")
            return changed

        record, _ = await self._edit_overrides(actor, tenant, schedule_id, "oncall.override.delete", override_id,
                                               without, [])
        return record

    async def _edit_overrides(self, actor: Actor, tenant: str, schedule_id: str, action: str, override_id: str,
                              change: Callable[[ScheduleDocument], ScheduleDocument],
                              people: list[tuple[str, str]]) -> tuple[OnCallRecord, str]:
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> tuple[OnCallRecord, str]:
            before = uow.oncall.get(tenant, SCHEDULE, schedule_id)
            if before is None:
                raise NotFound(f"no schedule {schedule_id!r}")
            check_people(uow, tenant, people)
            current = parse_record(before)
            assert isinstance(current, ScheduleDocument)
            changed = change(current)
            record = OnCallRecord(tenant, SCHEDULE, schedule_id, before.name, schedule_document(changed),
                                  before.version + 1, actor.subject, now)
            uow.oncall.replace(record, before.version)
            uow.audit.add(actor.entry(tenant, action, f"schedule:{schedule_id}/override:{override_id}", now,
                                      before=before.document.get("overrides"), after=record.document.get("overrides")))
            return record, override_id

        for attempt in range(MAX_OVERRIDE_RETRIES):
            try:
                return await self._commit(tenant, work)
            except Conflict:
                if attempt == MAX_OVERRIDE_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")


def _name(parsed: PolicyDocument | ScheduleDocument) -> str:
    return parsed.policy.name if isinstance(parsed, PolicyDocument) else parsed.schedule.name
