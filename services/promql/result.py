"""Query results in Prometheus' HTTP API shapes, and query statistics.

``data()`` is the ``data`` object of ``/api/v1/query`` and ``/api/v1/query_range``
(sample values as strings the way Prometheus prints them: shortest digits, ``NaN``,
``+Inf``); ``json()`` renders the same object straight to bytes, which for results of
millions of points is several times faster than building it and calling ``json.dumps``.
"""

from __future__ import annotations

import json
from itertools import chain
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


def _metric_json(labels: Labels) -> str:
    return json.dumps(dict(labels), separators=(",", ":"))


def _special(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where Python's float repr is not Prometheus' text: (positions, whole-number flags).
    Whole numbers print without ".0", and outside [1e-4, 1e16) Go and Python switch
    to exponents at different points; NaN and ±Inf are spelled differently."""
    magnitude = np.abs(values)
    whole = np.isfinite(values) & (values == np.trunc(values)) & (magnitude < 1e15)
    whole &= ~((values == 0) & np.signbit(values))  # -0 prints as "-0"
    plain = ~whole & (magnitude >= 1e-4) & (magnitude < 1e16) & (values != np.trunc(values))
    fix = np.flatnonzero(~plain)
    return fix, whole[fix]


def format_values(values: np.ndarray) -> list[str]:
    """``format_sample`` over an array, at C speed where it can: whole numbers through
    numpy's integer printing, others through the repr of a list (Python's shortest
    round-trip digits are Go's for finite values in [1e-4, 1e16)), the rest one by one."""
    if not values.size:
        return []
    fix, whole = _special(values)
    if fix.size == values.size and whole.all():
        return values.astype(np.int64).astype(str).tolist()
    out = repr(values.tolist())[1:-1].split(", ")
    for i, v, w in zip(fix.tolist(), values[fix].tolist(), whole.tolist()):
        out[i] = str(int(v)) if w else format_sample(v)
    return out


def _points_json(prefixes: list[str], values: np.ndarray) -> str:
    """``[t,"v"],[t,"v"]`` from the ``[t,"`` prefixes and the values, assembled by C
    loops (repr, replace, split, join): a range result can hold millions of points."""
    if not values.size:
        return ""
    fix, whole = _special(values)
    if fix.size == values.size and whole.all():
        texts = np.char.add(values.astype(np.int64).astype(str), '"],').tolist()
    else:
        texts = repr(values.tolist())[1:-1].replace(", ", '"],\x00').split("\x00")
        texts[-1] += '"],'
        for i, v, w in zip(fix.tolist(), values[fix].tolist(), whole.tolist()):
            texts[i] = (str(int(v)) if w else format_sample(v)) + '"],'
    return "".join(chain.from_iterable(zip(prefixes, texts)))[:-1]


@dataclass
class QueryStats:
    """What a query cost: series and samples read, and where the time went (seconds)."""

    series_read: int = 0
    samples_read: int = 0
    result_points: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def to_prometheus(self) -> dict:
        """The ``stats`` object Prometheus returns with ``stats=all``. Reading counts as
        query preparation; ``peakSamples`` is the result's points (the engine does not
        track a peak of what it holds)."""
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
                f'{{"metric":{_metric_json(ls)},"value":[{t},"{v}"]}}' for ls, v in zip(self.labels, texts)
            ) + "]"
        else:
            parts = []
            prefix: dict[int, str] = {}  # "[t," per timestamp: a range query's series share its steps
            for ls, (times, values) in zip(self.labels, self.points):
                stamps = times.tolist()
                try:
                    prefixes = [prefix[x] for x in stamps]
                except KeyError:
                    for x in stamps:
                        if x not in prefix:
                            prefix[x] = f'[{format_time(x)},"'
                    prefixes = [prefix[x] for x in stamps]
                parts.append(f'{{"metric":{_metric_json(ls)},"values":[{_points_json(prefixes, values)}]}}')
            result = "[" + ",".join(parts) + "]"
        return f'{{"resultType":"{self.result_type}","result":{result}}}'.encode()
