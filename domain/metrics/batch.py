"""Sample batches: what one ingest request carries and what travels on the bus.

A batch stays a batch end to end (DESIGN.md §7); it is split only by shard, so that
every sample of a series lands on the same bus partition and is written in order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from domain.errors import ValidationError
from domain.metrics.kinds import MetricKind
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """The accepted timestamp range relative to now: older or newer samples are refused."""

    max_age_ms: int = 24 * 3600 * 1000
    max_future_ms: int = 10 * 60 * 1000

    def check(self, timestamp_ms: int, now_ms: int, *, field: str) -> None:
        lo, hi = now_ms - self.max_age_ms, now_ms + self.max_future_ms
        if not lo <= timestamp_ms <= hi:
            raise ValidationError(
                f"timestamp {timestamp_ms} is outside the accepted window "
                f"[now - {self.max_age_ms // 1000}s, now + {self.max_future_ms // 1000}s] = [{lo}, {hi}] ms",
                field=field,
            )


@dataclass(frozen=True, slots=True)
class SeriesSamples:
    key: SeriesKey
    samples: tuple[Sample, ...]
    kind: MetricKind = MetricKind.GAUGE
    unit: str = ""

    @property
    def series_id(self) -> int:
        return self.key.id


@dataclass(frozen=True, slots=True)
class SampleBatch:
    tenant: str
    series: tuple[SeriesSamples, ...]

    @property
    def sample_count(self) -> int:
        return sum(len(s.samples) for s in self.series)

    def split_by_shard(self, shards: int) -> dict[int, "SampleBatch"]:
        parts: dict[int, list[SeriesSamples]] = {}
        for s in self.series:
            parts.setdefault(s.key.shard(shards), []).append(s)
        return {shard: SampleBatch(self.tenant, tuple(ss)) for shard, ss in sorted(parts.items())}


def parse_sample_value(raw: object, *, field: str) -> float:
    """Numbers as they are; the strings JSON needs for NaN and ±Inf (as Prometheus writes them)."""
    if isinstance(raw, bool):
        raise ValidationError("sample value must be a number, not a boolean", field=field)
    if isinstance(raw, (int, float)):
        return float(raw)
    if isinstance(raw, str):
        text = raw.strip()
        special = {"nan": math.nan, "+inf": math.inf, "inf": math.inf, "-inf": -math.inf}
        if text.lower() in special:
            return special[text.lower()]
        try:
            return float(text)
        except ValueError:
            pass
    raise ValidationError(
        f"sample value {raw!r} is not a number (use a JSON number or \"NaN\", \"+Inf\", \"-Inf\")",
        field=field,
    )
