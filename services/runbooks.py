"""The runbook catalogue's use cases: admins write runbooks, responders run them by id.

A runbook is validated as a whole when written (``Runbook.from_dict``: step kinds,
parameters, Kubernetes names as DNS-1123) and against the tenant's remediation policy
(namespaces, allowed tasks), so a bad one is refused with the field named before it is
stored. ``for_run`` gives the document a run starts from, checked against the policy
again (it may have changed since the runbook was written).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.errors import NotFound, ValidationError
from domain.remediation.policy import RemediationPolicy
from domain.remediation.runbook import Runbook
from ports.clock import Clock
from ports.runbooks import RunbookCatalogue, RunbookRecord


class RunbookService:
    def __init__(self, catalogue: RunbookCatalogue, clock: Clock, policy: RemediationPolicy) -> None:
        self._catalogue = catalogue
        self._clock = clock
        self.policy = policy

    def _validated(self, tenant: str, definition: Mapping[str, Any]) -> Runbook:
        runbook = Runbook.from_dict(definition)
        self.policy.check_written(tenant, runbook)
        return runbook

    async def create(self, tenant: str, actor: str, definition: Mapping[str, Any]) -> RunbookRecord:
        runbook = self._validated(tenant, definition)
        record = RunbookRecord(tenant, runbook.id, runbook.name, dict(definition), 1, actor, self._clock.now_ms())
        await self._catalogue.add(record)
        return record

    async def get(self, tenant: str, runbook_id: str) -> RunbookRecord:
        record = await self._catalogue.get(tenant, runbook_id)
        if record is None:
            raise NotFound(f"no runbook {runbook_id!r}")
        return record

    async def list(self, tenant: str) -> list[RunbookRecord]:
        return await self._catalogue.list(tenant)

    async def update(self, tenant: str, actor: str, runbook_id: str, definition: Mapping[str, Any],
                     expected_version: int) -> RunbookRecord:
        """Replace the runbook as of ``expected_version`` (``Conflict`` if it moved on)."""
        if definition.get("id", runbook_id) != runbook_id:
            raise ValidationError(f"the runbook's id is {runbook_id!r}; it cannot change", field="id")
        runbook = self._validated(tenant, {**definition, "id": runbook_id})
        record = RunbookRecord(tenant, runbook_id, runbook.name, {**definition, "id": runbook_id}, expected_version + 1,
                               actor, self._clock.now_ms())
        await self._catalogue.replace(record, expected_version)
        return record

    async def delete(self, tenant: str, runbook_id: str, expected_version: int | None = None) -> None:
        if not await self._catalogue.delete(tenant, runbook_id, expected_version):
            raise NotFound(f"no runbook {runbook_id!r}")

    async def for_run(self, tenant: str, runbook_id: str) -> dict[str, Any]:
        """The document a run of ``runbook_id`` starts from (with its ``version``), if the
        tenant's policy allows every step of it now (``PermissionDenied`` if not)."""
        record = await self._catalogue.get(tenant, runbook_id)
        if record is None:
            raise ValidationError(f"no runbook {runbook_id!r} in the catalogue (GET /api/v1/runbooks)", field="runbook_id")
        self.policy.check_run(tenant, Runbook.from_dict(record.definition))
        return {**record.definition, "version": record.version}
