"""Rows of ``oe_incidents`` <-> the ``Incident`` aggregate and ``Postmortem`` documents."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from adapters.django_orm.common import pairs_from_json, pairs_to_json
from adapters.django_orm.incidents import models as m
from domain.incidents.incident import Incident, IncidentStatus, Severity, TimelineEntry
from ports.postmortems import Postmortem


def incident_fields(inc: Incident) -> dict[str, Any]:
    """Column values of the incident row (the timeline is written separately)."""
    return {
        "tenant": inc.tenant,
        "incident_id": inc.id,
        "title": inc.title,
        "severity": inc.severity.value,
        "status": inc.status.value,
        "opened_at_ms": inc.opened_at_ms,
        "acknowledged_at_ms": inc.acknowledged_at_ms,
        "first_acknowledged_at_ms": inc.first_acknowledged_at_ms,
        "mitigated_at_ms": inc.mitigated_at_ms,
        "resolved_at_ms": inc.resolved_at_ms,
        "closed_at_ms": inc.closed_at_ms,
        "reopen_count": inc.reopen_count,
        "alerts": list(inc.alerts),
        "summary": inc.summary,
        "dedup_key": inc.dedup_key,
        "version": inc.version,
    }


def entry_rows(row: m.Incident, entries: Iterable[TimelineEntry], start: int) -> list[m.TimelineEntry]:
    return [
        m.TimelineEntry(
            incident=row, tenant=row.tenant, seq=seq, at_ms=e.at_ms, kind=e.kind, actor=e.actor, text=e.text,
            data=pairs_to_json(e.data),
        )
        for seq, e in enumerate(entries, start=start)
    ]


def incident_from_row(row: m.Incident, entries: Iterable[m.TimelineEntry]) -> Incident:
    """``entries`` are the row's timeline entries in ``seq`` order."""
    return Incident(
        id=row.incident_id,
        tenant=row.tenant,
        title=row.title,
        severity=Severity(row.severity),
        status=IncidentStatus(row.status),
        opened_at_ms=row.opened_at_ms,
        acknowledged_at_ms=row.acknowledged_at_ms,
        mitigated_at_ms=row.mitigated_at_ms,
        resolved_at_ms=row.resolved_at_ms,
        closed_at_ms=row.closed_at_ms,
        alerts=tuple(row.alerts),
        timeline=[TimelineEntry(e.at_ms, e.kind, e.actor, e.text, pairs_from_json(e.data)) for e in entries],
        summary=row.summary,
        dedup_key=row.dedup_key,
        version=row.version,
        first_acknowledged_at_ms=row.first_acknowledged_at_ms,
        reopen_count=row.reopen_count,
    )


def postmortem_fields(pm: Postmortem) -> dict[str, Any]:
    return {
        "tenant": pm.tenant,
        "postmortem_id": pm.id,
        "incident_id": pm.incident_id,
        "title": pm.title,
        "owner": pm.owner,
        "due_at_ms": pm.due_at_ms,
        "body": pm.body,
        "status": pm.status,
        "published_by": pm.published_by,
        "published_at_ms": pm.published_at_ms,
        "version": pm.version,
    }


def postmortem_from_row(row: m.Postmortem) -> Postmortem:
    return Postmortem(
        id=row.postmortem_id,
        tenant=row.tenant,
        incident_id=row.incident_id,
        title=row.title,
        owner=row.owner,
        due_at_ms=row.due_at_ms,
        body=row.body,
        status=row.status,
        published_by=row.published_by,
        published_at_ms=row.published_at_ms,
        version=row.version,
    )
