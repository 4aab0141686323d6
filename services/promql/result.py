"""Query results in Prometheus' HTTP API shapes, and query statistics.

``data()`` is the ``data`` object of ``/api/v1/query`` and ``/api/v1/query_range``
(sample values as strings the way Prometheus prints them: shortest digits, ``NaN``,
``+Inf``); ``json()`` renders the same object straight to bytes, which for results of
millions of points is several times faster than building it and calling ``json.dumps``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from domain.promql.gofloat import format_sample
from domain.promql.labels import Labels


def format_time(t_ms: int) -> str:
    """A timestamp as Prometheus writes it: seconds, with milliseconds only if any."""
    sign = "-" if t_ms < 0 else ""
    t_ms = abs(t_ms)
    whole, frac = divmod(t_ms, 1000)
    return f"{sign}{whole}.{frac:03d}".rstrip("0").rstrip(".") if frac else f"{sign}{whole}"


def _metric(labels: Labels) -> dict[str, str]:
    return dict(labels)


def format_values(values: np.ndarray) -> list[str]:
    """``format_sample`` over an array, fast where values are whole numbers."""
    if not values.size:
        return []
    whole = np.isfinite(values) & (values == np.trunc(values)) & (np.abs(values) < 1e15)
    whole &= ~((values == 0) & np.signbit(values))  # -0 prints as "-0"
    ints = np.where(whole, values, 0).astype(np.int64).astype(str).tolist()
    if whole.all():
        return ints
    return [s if w else format_sample(v) for s, w, v in zip(ints, whole.tolist(), values.tolist())]


def _point_json(times: list[str], values: list[str]) -> str:
    return ",".join(f'[{t},"{v}"]' for t, v in zip(times, values))


@dataclass
class QueryStats:
    """What a query cost: series and samples read, and where the time went (seconds)."""

    series_read: int = 0
    samples_read: int = 0
    result_points: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def to_prometheus(self) -> dict:
        """The ``stats`` object Prometheus returns with ``stats=all``."""
        t = self.timings
        return {
            "timings": {
                "evalTotalTime": t.get("eval", 0.0),
                "resultSortTime": 0.0,
                "queryPreparationTime": t.get("prepare", 0.0) + t.get("read", 0.0),
                "innerEvalTime": t.get("eval", 0.0),
                "execQueueTime": t.get("queue", 0.0),
                "execTotalTime": t.get("total", 0.0),
            },
            "samples": {"totalQueryableSamples": self.samples_read, "peakSamples": self.result_points},
        }


@dataclass
class QueryResult:
    """An evaluated query: ``result_type`` is ``vector``, ``matrix``, ``scalar`` or
    ``string``. Vectors: one sample per series at ``at_ms``; matrices: per series its
    timestamps and values; scalars and strings: one value at ``at_ms``."""

    result_type: str
    labels: list[Labels] = field(default_factory=list)
    points: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # matrix: (times, values) per series
    values: np.ndarray | None = None  # vector: one value per series
    at_ms: int = 0
    scalar: float = 0.0
    string: str = ""
    stats: QueryStats = field(default_factory=QueryStats)

    def __len__(self) -> int:
        return len(self.labels) if self.result_type in ("vector", "matrix") else 1

    def data(self) -> dict:
        """Prometheus' ``data`` object as Python values."""
        return json.loads(self.json())

    def json(self) -> bytes:
        """Prometheus' ``data`` object as JSON bytes."""
        t = format_time(self.at_ms)
        if self.result_type == "scalar":
            result = f'[{t},"{format_sample(self.scalar)}"]'
        elif self.result_type == "string":
            result = f"[{t},{json.dumps(self.string)}]"
        elif self.result_type == "vector":
            assert self.values is not None
            texts = format_values(self.values)
            result = "[" + ",".join(
                f'{{"metric":{json.dumps(_metric(ls))},"value":[{t},"{v}"]}}' for ls, v in zip(self.labels, texts)
            ) + "]"
        else:
            parts = []
            for ls, (times, values) in zip(self.labels, self.points):
                stamps = [format_time(x) for x in times.tolist()] if (times % 1000).any() else (times // 1000).astype(str).tolist()
                parts.append(f'{{"metric":{json.dumps(_metric(ls))},"values":[{_point_json(stamps, format_values(values))}]}}')
            result = "[" + ",".join(parts) + "]"
        return f'{{"resultType":"{self.result_type}","result":{result}}}'.encode()
