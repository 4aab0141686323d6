"""Rows of ``oe_compliance`` <-> ``Evaluation`` (with its ``Evidence``) and ``FactRecord``.

JSON values come back as the domain freezes them: lists as tuples, objects as dicts,
non-finite floats as floats (see ``adapters.django_orm.common.to_json``)."""

from __future__ import annotations

from typing import Any

from adapters.django_orm.common import from_json, to_json
from adapters.django_orm.compliance import models as m
from domain.compliance.checks import Evidence
from domain.compliance.evaluation import ControlStatus, Evaluation
from ports.repositories import FactRecord


def evidence_to_json(e: Evidence) -> dict[str, Any]:
    return {
        "kind": e.kind, "key": e.key, "observed": to_json(e.observed), "expected": to_json(e.expected),
        "at_ms": e.at_ms, "operator": e.operator, "passed": e.passed, "error": e.error,
    }


def evidence_from_json(d: dict[str, Any]) -> Evidence:
    return Evidence(
        kind=d["kind"], key=d["key"], observed=from_json(d["observed"]), expected=from_json(d["expected"]),
        at_ms=d["at_ms"], operator=d.get("operator"), passed=d.get("passed"), error=d.get("error"),
    )


def evaluation_fields(ev: Evaluation) -> dict[str, Any]:
    return {
        "tenant": ev.tenant,
        "control_id": ev.control_id,
        "status": ev.status.value,
        "evaluated_at_ms": ev.evaluated_at_ms,
        "error": ev.error,
        "evidence": [evidence_to_json(e) for e in ev.evidence],
    }


def evaluation_from_row(row: m.Evaluation) -> Evaluation:
    return Evaluation(
        control_id=row.control_id,
        tenant=row.tenant,
        status=ControlStatus(row.status),
        evidence=tuple(evidence_from_json(d) for d in row.evidence),
        evaluated_at_ms=row.evaluated_at_ms,
        error=row.error,
    )


def fact_fields(tenant: str, key: str, value: object, source: str, at_ms: int) -> dict[str, Any]:
    return {"tenant": tenant, "key": key, "value": {"v": to_json(value)}, "source": source, "updated_at_ms": at_ms}


def fact_from_row(row: m.Fact) -> FactRecord:
    return FactRecord(row.key, from_json((row.value or {}).get("v")), row.source, row.updated_at_ms)
