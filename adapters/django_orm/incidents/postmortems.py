"""The postmortem store over ``oe_incidents`` (ports.postmortems.PostmortemStore).

The port is async and the ORM is not, so every call is one unit of work on a
``DjangoUnitOfWorkRunner``: its thread pool, its transaction, its connection hygiene
(docs/adr/0003-django-orm-adapter.md), shared with the repositories rather than a
second pool of connections.

``save`` keeps the newest version without a read-then-write race: a conditional
``UPDATE ... WHERE version <= new`` replaces an older or equal copy. If it matched
nothing the row is missing or newer, and an INSERT in a savepoint tells which: it
creates the row, or hits the unique key because the row exists (on PostgreSQL a racing
writer's INSERT makes this one wait for its commit) and the UPDATE is tried once more
against the committed row. Concurrent UPDATEs re-check ``version`` on the row they
waited for, so the highest version wins whatever the order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction

from adapters.django_orm.incidents import mappers
from adapters.django_orm.incidents.models import Postmortem as PostmortemRow
from ports.postmortems import Postmortem

if TYPE_CHECKING:
    from adapters.django_orm.unit_of_work import DjangoUnitOfWorkRunner


class DjangoPostmortemStore:
    """Postmortems on the runner's database; every query is scoped to one tenant."""

    def __init__(self, runner: DjangoUnitOfWorkRunner) -> None:
        self._runner = runner
        self._db = runner.using

    async def save(self, postmortem: Postmortem) -> None:
        await self._runner.run(lambda _: self._save(postmortem))

    async def get(self, tenant: str, postmortem_id: str) -> Postmortem | None:
        return await self._runner.run(lambda _: self._get(tenant, postmortem_id))

    async def for_incident(self, tenant: str, incident_id: str) -> list[Postmortem]:
        return await self._runner.run(lambda _: self._for_incident(tenant, incident_id))

    def _rows(self, tenant: str):
        return PostmortemRow.objects.using(self._db).filter(tenant=tenant)

    def _replace_if_not_newer(self, postmortem: Postmortem, changes: dict[str, Any]) -> bool:
        """UPDATE the stored copy if its version is not above ``postmortem``'s; True if it did."""
        mine = self._rows(postmortem.tenant).filter(postmortem_id=postmortem.id, version__lte=postmortem.version)
        return mine.update(**changes) > 0

    def _save(self, postmortem: Postmortem) -> None:
        fields = mappers.postmortem_fields(postmortem)
        changes = {k: v for k, v in fields.items() if k not in ("tenant", "postmortem_id")}
        if self._replace_if_not_newer(postmortem, changes):
            return
        try:
            with transaction.atomic(using=self._db):  # a savepoint: the duplicate key leaves the transaction usable
                PostmortemRow.objects.using(self._db).create(**fields)
        except IntegrityError:
            if self._replace_if_not_newer(postmortem, changes):
                return
            if not self._rows(postmortem.tenant).filter(postmortem_id=postmortem.id).exists():
                raise  # not the unique key: a value the columns refuse
            # else a newer version is stored: it stays

    def _get(self, tenant: str, postmortem_id: str) -> Postmortem | None:
        row = self._rows(tenant).filter(postmortem_id=postmortem_id).first()
        return None if row is None else mappers.postmortem_from_row(row)

    def _for_incident(self, tenant: str, incident_id: str) -> list[Postmortem]:
        """Ordered by id in Python, as the memory store does, whatever the database's collation."""
        rows = self._rows(tenant).filter(incident_id=incident_id)
        return sorted((mappers.postmortem_from_row(r) for r in rows), key=lambda p: p.id)
