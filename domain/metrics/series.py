"""Series identity: tenant + metric name + label set, and its stable 64-bit id."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

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
    # The id, computed once: a blake2b over the canonical form costs more than the
    # rest of a sample's trip through the writer, and the id is asked for at every
    # step (shard, store, cache). Not an init field, so ``dataclasses.replace`` never
    # carries a stale one over to a key with other labels.
    _id: int | None = field(default=None, init=False, compare=False, repr=False)

    @classmethod
    def of(cls, tenant: str, name: str, labels: dict[str, str] | LabelSet | None, limits: LabelLimits = DEFAULT_LIMITS) -> "SeriesKey":
        validate_metric_name(name, limits)
        ls = labels if isinstance(labels, LabelSet) else LabelSet.of(labels or {}, limits)
        return cls(tenant, name, ls)

    @classmethod
    def with_known_id(cls, tenant: str, name: str, labels: LabelSet, known_id: int) -> "SeriesKey":
        """A key whose id travelled with it (the bus codec): trusted, not recomputed."""
        key = cls(tenant, name, labels)
        object.__setattr__(key, "_id", known_id)
        return key

    @property
    def id(self) -> int:
        known = self._id
        if known is None:
            known = series_id(self.tenant, self.name, self.labels)
            object.__setattr__(self, "_id", known)
        return known

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
