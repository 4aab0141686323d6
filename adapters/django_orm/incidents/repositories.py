"""The incident repository over ``oe_incidents`` (ports.repositories.IncidentRepository).

Optimistic concurrency: every incident this repository hands out (``get``, ``list``,
``find_open_by_dedup_key``) or has just written (``add``, ``save``) remembers the
version it had in the database. ``save`` is one ``UPDATE ... WHERE version = <that>``:
if another writer saved meanwhile no row matches and ``Conflict`` is raised, however
many changes this copy made. The row lock the UPDATE takes serialises concurrent
savers on PostgreSQL, so appending the new timeline entries after it is safe.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from adapters.django_orm.incidents import mappers
from adapters.django_orm.incidents.models import Incident as IncidentRow
from adapters.django_orm.incidents.models import TimelineEntry as EntryRow
from adapters.django_orm.incidents.outbox import DjangoOutboxRepository
from adapters.django_orm.rows import insert
from domain.errors import Conflict
from domain.incidents.incident import ACTIVE_STATUSES, Incident, IncidentStatus
from ports.repositories import incident_event_messages

_ACTIVE = sorted(s.value for s in ACTIVE_STATUSES)
_TOKEN = "_stored_version"
"""Attribute an incident carries: the version it had in the store when last read or written."""


def _remember(incident: Incident, version: int) -> Incident:
    object.__setattr__(incident, _TOKEN, version)
    return incident


def stored_version(incident: Incident) -> int | None:
    """The version ``incident`` had when read from (or written to) a store, if known."""
    return getattr(incident, _TOKEN, None)


class DjangoIncidentRepository:
    """``add`` and ``save`` store the incident's pending events in the outbox, in the
    same transaction."""

    def __init__(self, using: str, outbox: DjangoOutboxRepository | None = None) -> None:
        self._db = using
        self._outbox = outbox or DjangoOutboxRepository(using)

    def _rows(self):
        return IncidentRow.objects.using(self._db)

    def _hydrate(self, rows: list[IncidentRow]) -> list[Incident]:
        entries: dict[int, list[EntryRow]] = defaultdict(list)
        if rows:
            found = EntryRow.objects.using(self._db).filter(incident__in=[r.pk for r in rows])
            for e in found.order_by("incident", "seq"):
                entries[e.incident_id].append(e)
        return [_remember(mappers.incident_from_row(r, entries[r.pk]), r.version) for r in rows]

    def add(self, incident: Incident) -> None:
        incident.version = max(incident.version, 1)
        row = insert(IncidentRow, self._db, mappers.incident_fields(incident), f"incident {incident.id!r}")
        EntryRow.objects.using(self._db).bulk_create(mappers.entry_rows(row, incident.timeline, 0))
        self._outbox.add(incident_event_messages(incident.pull_events()))
        _remember(incident, incident.version)

    def get(self, tenant: str, incident_id: str) -> Incident | None:
        found = self._hydrate(list(self._rows().filter(tenant=tenant, incident_id=incident_id)))
        return found[0] if found else None

    def save(self, incident: Incident) -> None:
        """Persist changes; ``Conflict`` if the stored version moved on since this copy was read."""
        mine = self._rows().filter(tenant=incident.tenant, incident_id=incident.id)
        read = stored_version(incident)
        fields = mappers.incident_fields(incident)
        del fields["tenant"], fields["incident_id"]
        # A copy whose origin is unknown (built by hand) must at least be newer than the store.
        guarded = mine.filter(version=read) if read is not None else mine.filter(version__lt=incident.version)
        if incident.version <= (read or 0) or guarded.update(**fields) == 0:
            stored = mine.values_list("version", flat=True).first()
            if stored is None:
                raise Conflict(f"incident {incident.id!r} does not exist; add it first")
            raise Conflict(
                f"incident {incident.id!r} changed meanwhile (stored version {stored}, read at {read}); "
                "read it again and retry"
            )
        row = mine.only("pk", "tenant").get()
        written = EntryRow.objects.using(self._db).filter(incident=row).count()
        if written < len(incident.timeline):
            EntryRow.objects.using(self._db).bulk_create(mappers.entry_rows(row, incident.timeline[written:], written))
        self._outbox.add(incident_event_messages(incident.pull_events()))
        _remember(incident, incident.version)

    def find_open_by_dedup_key(self, tenant: str, dedup_key: str) -> Incident | None:
        rows = self._rows().filter(tenant=tenant, dedup_key=dedup_key, status__in=_ACTIVE).order_by("pk")[:1]
        found = self._hydrate(list(rows))
        return found[0] if found else None

    def list(self, tenant: str, statuses: Sequence[IncidentStatus] = (), limit: int = 100) -> list[Incident]:
        rows = self._rows().filter(tenant=tenant)
        if statuses:
            rows = rows.filter(status__in=sorted(IncidentStatus(s).value for s in statuses))
        return self._hydrate(list(rows.order_by("-opened_at_ms", "pk")[: max(limit, 0)]))
