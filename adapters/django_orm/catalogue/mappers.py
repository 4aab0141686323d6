"""Rows of ``oe_catalogue`` <-> the metrics domain's kinds and bucket layouts.

The domain has no metric-family entity yet; ``MetricFamilyRecord`` carries the stored
fields in domain types until it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.django_orm.catalogue import models as m
from adapters.django_orm.common import float_from_json, float_to_json
from domain.metrics.kinds import HistogramBuckets, MetricKind
from domain.metrics.labels import validate_metric_name


@dataclass(frozen=True, slots=True)
class MetricFamilyRecord:
    tenant: str
    name: str
    kind: MetricKind
    unit: str = ""
    help: str = ""
    buckets: HistogramBuckets | None = None

    def __post_init__(self) -> None:
        validate_metric_name(self.name)
        object.__setattr__(self, "kind", MetricKind(self.kind))


def family_fields(f: MetricFamilyRecord) -> dict[str, Any]:
    return {
        "tenant": f.tenant,
        "name": f.name,
        "kind": f.kind.value,
        "unit": f.unit,
        "help": f.help,
        "buckets": None if f.buckets is None else [float_to_json(b) for b in f.buckets.bounds],
    }


def family_from_row(row: m.MetricFamily) -> MetricFamilyRecord:
    buckets = None if row.buckets is None else HistogramBuckets.of([float_from_json(b) for b in row.buckets])
    return MetricFamilyRecord(row.tenant, row.name, MetricKind(row.kind), row.unit, row.help, buckets)
