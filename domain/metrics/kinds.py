"""Metric kinds and histogram bucket layouts."""

from __future__ import annotations

import bisect
import enum
import math
from dataclasses import dataclass

from domain.errors import ValidationError


class MetricKind(str, enum.Enum):
    GAUGE = "gauge"
    COUNTER = "counter"
    HISTOGRAM = "histogram"


@dataclass(frozen=True, slots=True)
class HistogramBuckets:
    """Explicit upper bounds, strictly ascending; the +Inf bucket is always implied.

    A histogram series family is stored the Prometheus way: one cumulative counter
    series per bound (``<name>_bucket{le="..."}``), plus ``_sum`` and ``_count``.
    """

    bounds: tuple[float, ...]

    @classmethod
    def of(cls, bounds: list[float] | tuple[float, ...]) -> "HistogramBuckets":
        """Validate a layout. A trailing +Inf is accepted and dropped (it is implied);
        NaN and -Inf can never be an upper bound, so they are refused, as is a +Inf
        anywhere but last (the bounds would not be strictly ascending)."""
        try:
            values = [float(b) for b in bounds]
        except (TypeError, ValueError):
            raise ValidationError("histogram bucket bounds must be numbers", field="buckets") from None
        if any(math.isnan(b) for b in values):
            raise ValidationError("histogram bucket bounds cannot be NaN", field="buckets")
        if any(b == -math.inf for b in values):
            raise ValidationError("histogram bucket bounds cannot be -Inf", field="buckets")
        if any(b <= a for a, b in zip(values, values[1:])):
            raise ValidationError("histogram bucket bounds must be strictly ascending", field="buckets")
        if values and values[-1] == math.inf:
            values.pop()
        return cls(tuple(values))

    def le_labels(self) -> tuple[str, ...]:
        """The ``le`` label values, +Inf last, formatted as Prometheus does."""
        return tuple(format_le(b) for b in self.bounds) + ("+Inf",)

    def bucket_index(self, value: float) -> int:
        """Index of the first bucket whose upper bound is >= value (len(bounds) for +Inf).

        NaN observations land in the +Inf bucket (they are counted, never below a bound).
        """
        if math.isnan(value):
            return len(self.bounds)
        return bisect.bisect_left(self.bounds, value)


def format_le(bound: float) -> str:
    """Shortest round-tripping text of a bound, without a trailing ``.0`` (``1``, ``0.25``)."""
    if math.isinf(bound):
        return "+Inf" if bound > 0 else "-Inf"
    text = repr(float(bound))
    return text[:-2] if text.endswith(".0") else text


def parse_le(text: str) -> float:
    """Read an ``le`` label value; NaN is refused because a bucket bound must order."""
    try:
        value = float(text)
    except ValueError:
        raise ValidationError(f"invalid histogram bucket bound le={text!r}", field="labels.le") from None
    if math.isnan(value):
        raise ValidationError(f"invalid histogram bucket bound le={text!r}", field="labels.le")
    return value
