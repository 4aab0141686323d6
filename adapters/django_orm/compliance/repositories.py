"""The compliance repository over ``oe_compliance`` (ports.repositories.ComplianceRepository)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db.models import OuterRef, Subquery

from adapters.django_orm.compliance import mappers
from adapters.django_orm.compliance.models import Evaluation as EvaluationRow
from adapters.django_orm.compliance.models import Fact as FactRow
from adapters.django_orm.rows import upsert
from domain.compliance.evaluation import Evaluation
from domain.errors import ValidationError
from ports.repositories import FactRecord


class DjangoComplianceRepository:
    """Evaluations are kept (the audit trail), one per (control, instant), the newest
    ``keep_per_control`` of each control as in the reference; facts merge by key."""

    def __init__(self, using: str, keep_per_control: int = 1000) -> None:
        self._db = using
        self._keep = keep_per_control

    def _evaluations(self, tenant: str):
        return EvaluationRow.objects.using(self._db).filter(tenant=tenant)

    def save_evaluations(self, tenant: str, evaluations: Sequence[Evaluation]) -> None:
        for i, ev in enumerate(evaluations):
            if ev.tenant != tenant:
                raise ValidationError(
                    f"evaluation of tenant {ev.tenant!r} saved for {tenant!r}", field=f"evaluations[{i}]"
                )
        for ev in evaluations:
            upsert(EvaluationRow, self._db, mappers.evaluation_fields(ev), ["tenant", "control_id", "evaluated_at_ms"])
        for control_id in {ev.control_id for ev in evaluations}:
            mine = self._evaluations(tenant).filter(control_id=control_id)
            times = mine.order_by("-evaluated_at_ms").values_list("evaluated_at_ms", flat=True)
            kept = list(times[self._keep - 1 : self._keep])
            if kept:
                mine.filter(evaluated_at_ms__lt=kept[0]).delete()

    def latest(self, tenant: str) -> list[Evaluation]:
        newest = self._evaluations(tenant).filter(control_id=OuterRef("control_id")).order_by("-evaluated_at_ms")
        rows = self._evaluations(tenant).filter(evaluated_at_ms=Subquery(newest.values("evaluated_at_ms")[:1]))
        return sorted((mappers.evaluation_from_row(r) for r in rows), key=lambda e: e.control_id)

    def history(self, tenant: str, control_id: str, limit: int = 100) -> list[Evaluation]:
        if limit <= 0:
            return []
        rows = self._evaluations(tenant).filter(control_id=control_id).order_by("-evaluated_at_ms")[:limit]
        return [mappers.evaluation_from_row(r) for r in rows]

    def set_facts(self, tenant: str, facts: Mapping[str, object], at_ms: int, source: str) -> None:
        for key, value in facts.items():
            upsert(FactRow, self._db, mappers.fact_fields(tenant, key, value, source, at_ms), ["tenant", "key"])

    def facts(self, tenant: str) -> dict[str, FactRecord]:
        rows = FactRow.objects.using(self._db).filter(tenant=tenant)
        return {f.key: f for f in sorted((mappers.fact_from_row(r) for r in rows), key=lambda f: f.key)}
