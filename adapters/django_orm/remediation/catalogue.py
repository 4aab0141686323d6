"""The runbook catalogue over ``oe_remediation`` (ports.runbooks.RunbookCatalogue).

Like the postmortem store, every call is one unit of work on the
``DjangoUnitOfWorkRunner`` (its threads, transactions and connections). A replacement
is one conditional ``UPDATE ... WHERE version = expected``: two writers that read the
same version cannot both win; the loser's UPDATE matches nothing and gets ``Conflict``.
Each version written is kept in ``RunbookVersion`` and the change's audit entry stored,
both in the same transaction as the write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from adapters.django_orm.remediation.models import Runbook as RunbookRow
from adapters.django_orm.remediation.models import RunbookVersion as VersionRow
from domain.errors import Conflict, NotFound
from domain.identity.audit import AuditEntry
from ports.runbooks import RunbookRecord

if TYPE_CHECKING:
    from adapters.django_orm.unit_of_work import DjangoUnitOfWorkRunner


def _record(row: RunbookRow) -> RunbookRecord:
    return RunbookRecord(row.tenant, row.runbook_id, row.name, row.definition, row.version, row.updated_by,
                         row.updated_at_ms)


def _version(row: VersionRow) -> RunbookRecord:
    return RunbookRecord(row.tenant, row.runbook_id, row.name, row.definition, row.version, row.updated_by,
                         row.updated_at_ms)


def _fields(record: RunbookRecord) -> dict:
    return {"name": record.name, "definition": dict(record.definition), "version": record.version,
            "updated_by": record.updated_by, "updated_at_ms": record.updated_at_ms}


class DjangoRunbookCatalogue:
    def __init__(self, runner: DjangoUnitOfWorkRunner) -> None:
        self._runner = runner
        self._db = runner.using

    def _rows(self, tenant: str):
        return RunbookRow.objects.using(self._db).filter(tenant=tenant)

    def _keep(self, uow, record: RunbookRecord, audit: AuditEntry | None) -> None:
        VersionRow.objects.using(self._db).create(tenant=record.tenant, runbook_id=record.id, **_fields(record))
        if audit is not None:
            uow.audit.add(audit)

    async def add(self, record: RunbookRecord, audit: AuditEntry | None = None) -> None:
        def work(uow) -> None:
            try:
                with transaction.atomic(using=self._db):
                    RunbookRow.objects.using(self._db).create(tenant=record.tenant, runbook_id=record.id, **_fields(record))
            except IntegrityError:
                if self._rows(record.tenant).filter(runbook_id=record.id).exists():
                    raise Conflict(f"runbook {record.id!r} exists already") from None
                raise
            VersionRow.objects.using(self._db).filter(tenant=record.tenant, runbook_id=record.id).delete()  # a stale past
            self._keep(uow, record, audit)

        await self._runner.run(work)

    async def get(self, tenant: str, runbook_id: str) -> RunbookRecord | None:
        def work(_) -> RunbookRecord | None:
            row = self._rows(tenant).filter(runbook_id=runbook_id).first()
            return None if row is None else _record(row)

        return await self._runner.run(work)

    async def list(self, tenant: str) -> list[RunbookRecord]:
        # Ordered in Python, as the memory catalogue does, whatever the database's collation.
        return await self._runner.run(lambda _: sorted((_record(r) for r in self._rows(tenant)), key=lambda r: r.id))

    async def replace(self, record: RunbookRecord, expected_version: int, audit: AuditEntry | None = None) -> None:
        def work(uow) -> None:
            mine = self._rows(record.tenant).filter(runbook_id=record.id)
            if mine.filter(version=expected_version).update(**_fields(record)) == 0:
                stored = mine.values_list("version", flat=True).first()
                if stored is None:
                    raise NotFound(f"no runbook {record.id!r}")
                raise Conflict(f"runbook {record.id!r} is at version {stored}, not {expected_version}",
                               current_version=stored)
            self._keep(uow, record, audit)

        await self._runner.run(work)

    async def delete(self, tenant: str, runbook_id: str, expected_version: int | None = None,
                     audit: AuditEntry | None = None) -> bool:
        def work(uow) -> bool:
            mine = self._rows(tenant).filter(runbook_id=runbook_id)
            matching = mine if expected_version is None else mine.filter(version=expected_version)
            if matching.delete()[0]:
                VersionRow.objects.using(self._db).filter(tenant=tenant, runbook_id=runbook_id).delete()
                if audit is not None:
                    uow.audit.add(audit)
                return True
            stored = mine.values_list("version", flat=True).first()
            if stored is None:
                return False
            raise Conflict(f"runbook {runbook_id!r} is at version {stored}, not {expected_version}",
                           current_version=stored)

        return await self._runner.run(work)

    async def versions(self, tenant: str, runbook_id: str) -> list[RunbookRecord]:
        def work(_) -> list[RunbookRecord]:
            rows = VersionRow.objects.using(self._db).filter(tenant=tenant, runbook_id=runbook_id).order_by("version")
            return [_version(r) for r in rows]

        return await self._runner.run(work)

    async def version(self, tenant: str, runbook_id: str, version: int) -> RunbookRecord | None:
        def work(_) -> RunbookRecord | None:
            row = VersionRow.objects.using(self._db).filter(tenant=tenant, runbook_id=runbook_id,
                                                            version=version).first()
            return None if row is None else _version(row)

        return await self._runner.run(work)
