"""Series identity: tenant + metric name + label set, and its stable 64-bit id."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from domain.errors import ValidationError
from domain.metrics.labels import DEFAULT_LIMITS, LabelLimits, LabelSet, validate_metric_name


def series_id(tenant: str, name: str, labels: LabelSet) -> int:
    """A stable signed 64-bit id (fits PostgreSQL ``bigint``), the same on every process.

    blake2b over the canonical form; Python's ``hash`` is salted per process, so it
    cannot be used for anything stored or shared.
    """
    digest = hashlib.blake2b(
        f"{tenant}\x00{name}\x00{labels.canonical()}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


@dataclass(frozen=True, slots=True)
class SeriesKey:
    tenant: str
    name: str
    labels: LabelSet

    @classmethod
    def of(cls, tenant: str, name: str, labels: dict[str, str] | LabelSet | None, limits: LabelLimits = DEFAULT_LIMITS) -> "SeriesKey":
        validate_metric_name(name, limits)
        ls = labels if isinstance(labels, LabelSet) else LabelSet.of(labels or {}, limits)
        return cls(tenant, name, ls)

    @property
    def id(self) -> int:
        return series_id(self.tenant, self.name, self.labels)

    def shard(self, shards: int) -> int:
        """The bus partition of this series: every sample of it lands on the same one.

        Python's ``%`` with a positive divisor is never negative, so a signed id still
        maps into ``range(shards)``.
        """
        if shards < 1:
            raise ValidationError(f"shard count must be at least 1, got {shards}", field="shards")
        return self.id % shards

    def __str__(self) -> str:
        return f"{self.name}{self.labels!r}"
