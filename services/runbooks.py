"""The runbook catalogue's use cases: admins write runbooks, responders run them by id.

A runbook is validated as a whole when written (``Runbook.from_dict``: step kinds,
parameters, Kubernetes names as DNS-1123) and against the tenant's remediation policy
(namespaces, allowed tasks), so a bad one is refused with the field named before it is
stored. ``for_run`` gives the document a run starts from, checked against the policy
again (it may have changed since the runbook was written).

Every write keeps the version it made (``versions``, ``version``) and writes an audit
entry with the runbook before and after, stored with the change by the catalogue; a
run starts from the current version and records its number (``for_run``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.errors import NotFound, ValidationError
from domain.remediation.policy import RemediationPolicy
from domain.remediation.runbook import Runbook
from ports.clock import Clock
from ports.runbooks import RunbookCatalogue, RunbookRecord
from services.identity.audit import Actor


def runbook_view(r: RunbookRecord) -> dict[str, Any]:
    """A runbook version as the API shows it and the audit log records it."""
    return {"id": r.id, "name": r.name, "version": r.version, "steps": r.definition.get("steps", []),
            "updated_by": r.updated_by, "updated_at_ms": r.updated_at_ms}


def _actor(actor: Actor | str) -> Actor:
    return actor if isinstance(actor, Actor) else Actor(actor)


class RunbookService:
    def __init__(self, catalogue: RunbookCatalogue, clock: Clock, policy: RemediationPolicy) -> None:
        self._catalogue = catalogue
        self._clock = clock
        self.policy = policy

    def _validated(self, tenant: str, definition: Mapping[str, Any]) -> Runbook:
        runbook = Runbook.from_dict(definition)
        self.policy.check_written(tenant, runbook)
        return runbook

    async def create(self, tenant: str, actor: Actor | str, definition: Mapping[str, Any]) -> RunbookRecord:
        actor = _actor(actor)
        runbook = self._validated(tenant, definition)
        now = self._clock.now_ms()
        record = RunbookRecord(tenant, runbook.id, runbook.name, dict(definition), 1, actor.subject, now)
        await self._catalogue.add(record, actor.entry(tenant, "runbook.create", f"runbook:{runbook.id}", now,
                                                      after=runbook_view(record)))
        return record

    async def get(self, tenant: str, runbook_id: str) -> RunbookRecord:
        record = await self._catalogue.get(tenant, runbook_id)
        if record is None:
            raise NotFound(f"no runbook {runbook_id!r}")
        return record

    async def list(self, tenant: str) -> list[RunbookRecord]:
        return await self._catalogue.list(tenant)

    async def update(self, tenant: str, actor: Actor | str, runbook_id: str, definition: Mapping[str, Any],
                     expected_version: int) -> RunbookRecord:
        """Replace the runbook as of ``expected_version`` (``Conflict`` if it moved on)."""
        actor = _actor(actor)
        if definition.get("id", runbook_id) != runbook_id:
            raise ValidationError(f"the runbook's id is {runbook_id!r}; it cannot change", field="id")
        runbook = self._validated(tenant, {**definition, "id": runbook_id})
        now = self._clock.now_ms()
        record = RunbookRecord(tenant, runbook_id, runbook.name, {**definition, "id": runbook_id}, expected_version + 1,
                               actor.subject, now)
        before = await self._catalogue.version(tenant, runbook_id, expected_version)
        await self._catalogue.replace(record, expected_version, actor.entry(
            tenant, "runbook.update", f"runbook:{runbook_id}", now,
            before=None if before is None else runbook_view(before), after=runbook_view(record)))
        return record

    async def delete(self, tenant: str, runbook_id: str, expected_version: int | None = None,
                     actor: Actor | str = "system") -> None:
        actor = _actor(actor)
        current = await self._catalogue.get(tenant, runbook_id)
        entry = actor.entry(tenant, "runbook.delete", f"runbook:{runbook_id}", self._clock.now_ms(),
                            before=None if current is None else runbook_view(current))
        if not await self._catalogue.delete(tenant, runbook_id, expected_version, entry):
            raise NotFound(f"no runbook {runbook_id!r}")

    async def versions(self, tenant: str, runbook_id: str) -> list[RunbookRecord]:
        """Every version kept, oldest first."""
        found = await self._catalogue.versions(tenant, runbook_id)
        if not found:
            raise NotFound(f"no runbook {runbook_id!r}")
        return found

    async def version(self, tenant: str, runbook_id: str, version: int) -> RunbookRecord:
        found = await self._catalogue.version(tenant, runbook_id, version)
        if found is None:
            raise NotFound(f"runbook {runbook_id!r} has no version {version}")
        return found

    async def for_run(self, tenant: str, runbook_id: str) -> dict[str, Any]:
        """The document a run of ``runbook_id`` starts from (with its ``version``), if the
        tenant's policy allows every step of it now (``PermissionDenied`` if not)."""
        record = await self._catalogue.get(tenant, runbook_id)
        if record is None:
            raise ValidationError(f"no runbook {runbook_id!r} in the catalogue (GET /api/v1/runbooks)", field="runbook_id")
        self.policy.check_run(tenant, Runbook.from_dict(record.definition))
        return {**record.definition, "version": record.version}
