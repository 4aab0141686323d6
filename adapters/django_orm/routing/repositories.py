"""The routing repository over ``oe_routing`` (ports.routing.RoutingRepository), used
inside the Django unit of work (its transaction). A replacement is one conditional
``UPDATE ... WHERE version = expected``: of two writers that read the same version, the
loser's update matches nothing and it gets ``Conflict``."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from adapters.django_orm.routing.models import RoutingResource, RoutingRevision
from domain.errors import Conflict, NotFound
from ports.routing import RoutingItem, RoutingKind


def _item(row: RoutingResource) -> RoutingItem:
    return RoutingItem(row.tenant, RoutingKind(row.kind), row.name, row.document, row.version, row.updated_by,
                       row.updated_at_ms)


class DjangoRoutingRepository:
    def __init__(self, using: str = "default") -> None:
        self._db = using

    def _rows(self, tenant: str, kind: RoutingKind):
        return RoutingResource.objects.using(self._db).filter(tenant=tenant, kind=RoutingKind(kind).value)

    def get(self, tenant: str, kind: RoutingKind, name: str) -> RoutingItem | None:
        row = self._rows(tenant, kind).filter(name=name).first()
        return None if row is None else _item(row)

    def list(self, tenant: str, kind: RoutingKind) -> list[RoutingItem]:
        # Ordered in Python, as the memory adapter does, whatever the database's collation.
        return sorted((_item(r) for r in self._rows(tenant, kind)), key=lambda i: i.name)

    def add(self, item: RoutingItem) -> None:
        try:
            with transaction.atomic(using=self._db):  # a savepoint: the unit of work survives the refusal
                RoutingResource.objects.using(self._db).create(
                    tenant=item.tenant, kind=RoutingKind(item.kind).value, name=item.name, document=dict(item.document),
                    version=item.version, updated_by=item.updated_by, updated_at_ms=item.updated_at_ms)
        except IntegrityError:
            raise Conflict(f"{RoutingKind(item.kind).value} {item.name!r} exists already") from None

    def _refuse(self, tenant: str, kind: RoutingKind, name: str, expected_version: int) -> None:
        stored = self._rows(tenant, kind).filter(name=name).values_list("version", flat=True).first()
        if stored is None:
            raise NotFound(f"no {RoutingKind(kind).value} {name!r}")
        raise Conflict(f"{RoutingKind(kind).value} {name!r} is at version {stored}, not {expected_version}",
                       current_version=stored)

    def replace(self, item: RoutingItem, expected_version: int) -> None:
        changed = self._rows(item.tenant, item.kind).filter(name=item.name, version=expected_version).update(
            document=dict(item.document), version=item.version, updated_by=item.updated_by,
            updated_at_ms=item.updated_at_ms)
        if changed == 0:
            self._refuse(item.tenant, item.kind, item.name, expected_version)

    def delete(self, tenant: str, kind: RoutingKind, name: str, expected_version: int) -> None:
        if self._rows(tenant, kind).filter(name=name, version=expected_version).delete()[0] == 0:
            self._refuse(tenant, kind, name, expected_version)

    def revision(self, tenant: str) -> int:
        found = RoutingRevision.objects.using(self._db).filter(tenant=tenant).values_list("revision", flat=True).first()
        return found or 0

    def bump(self, tenant: str, expected: int | None = None) -> int:
        revisions = RoutingRevision.objects.using(self._db).filter(tenant=tenant)
        guarded = revisions if expected is None else revisions.filter(revision=expected)
        if guarded.update(revision=F("revision") + 1):
            return self.revision(tenant)
        if expected in (None, 0):  # no row yet: the first change makes it
            try:
                with transaction.atomic(using=self._db):
                    RoutingRevision.objects.using(self._db).create(tenant=tenant, revision=1)
                return 1
            except IntegrityError:  # another writer made it meanwhile
                if expected is None and revisions.update(revision=F("revision") + 1):
                    return self.revision(tenant)
        current = self.revision(tenant)
        raise Conflict(f"the routing configuration is at revision {current}, not {expected}", current_version=current)
