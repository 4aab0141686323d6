"""Functions of instant vectors and scalars (math, clamping, dates, labels,
``histogram_quantile``...), vectorised over every step.

Each takes the evaluated arguments and returns a value; which ones keep the metric
name is ``domain.promql.catalogue.KEEPS_METRIC_NAME``.
"""

from __future__ import annotations

import math

import numpy as np
import re2

from domain.promql.errors import PromQLExecutionError
from domain.promql.expand import expand
from domain.promql.gofloat import parse_float
from domain.metrics.labels import LABEL_NAME_RE
from domain.promql.labels import BUCKET_LABEL, Labels, drop_name, get, set_label
from services.promql.dates import date_part, go_int64, seconds_of_ms
from services.promql.histograms import bucket_quantile
from services.promql.values import Scalar, Vector


def _sgn(v: np.ndarray) -> np.ndarray:
    return np.where(v < 0, -1.0, np.where(v > 0, 1.0, v))


MATH = {
    "abs": np.abs, "ceil": np.ceil, "floor": np.floor, "exp": np.exp, "sqrt": np.sqrt,
    "ln": np.log, "log2": np.log2, "log10": np.log10,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh,
    "deg": lambda v: v * 180 / math.pi, "rad": lambda v: v * math.pi / 180, "sgn": _sgn,
}


def math_function(name: str, v: Vector) -> Vector:
    return dropped(v, MATH[name](v.values))


def dropped(v: Vector, values: np.ndarray, present: np.ndarray | None = None) -> Vector:
    """``values`` under ``v``'s labels without the metric name (merged if they collide)."""
    return Vector(v.labels, values, v.present if present is None else present).with_labels(
        [drop_name(ls) for ls in v.labels])


def go_min(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Go's ``math.Min``: -Inf wins over NaN, NaN over numbers, -0 below +0."""
    out = np.where(np.isnan(a) | np.isnan(b), np.nan, np.minimum(a, b))
    out = np.where((a == 0) & (b == 0), np.where(np.signbit(a) | np.signbit(b), -0.0, 0.0), out)
    return np.where((a == -np.inf) | (b == -np.inf), -np.inf, out)


def go_max(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Go's ``math.Max``: +Inf wins over NaN, NaN over numbers, +0 above -0."""
    out = np.where(np.isnan(a) | np.isnan(b), np.nan, np.maximum(a, b))
    out = np.where((a == 0) & (b == 0), np.where(np.signbit(a) & np.signbit(b), -0.0, 0.0), out)
    return np.where((a == np.inf) | (b == np.inf), np.inf, out)


def clamp(v: Vector, lo: np.ndarray | None, hi: np.ndarray | None) -> Vector:
    values = v.values
    present = v.present
    if hi is not None:
        values = go_min(hi, values)
    if lo is not None:
        values = go_max(lo, values)
    if lo is not None and hi is not None:
        present = present & ~(hi < lo)[None, :]  # clamp(v, min, max) with max < min is empty
    return dropped(v, values, present)


def round_to(v: Vector, to_nearest: np.ndarray | None) -> Vector:
    inverse = 1.0 / (np.ones(v.steps) if to_nearest is None else to_nearest)
    return dropped(v, np.floor(v.values * inverse + 0.5) / inverse)


def scalar(v: Vector) -> Scalar:
    one = v.present.sum(axis=0) == 1
    picked = np.where(v.present, v.values, 0.0).sum(axis=0) if len(v) else np.zeros(v.steps)
    return Scalar(np.where(one, picked, np.nan))


def vector(s: Scalar) -> Vector:
    return Vector([()], s.values[None, :], np.ones((1, s.values.size), bool))


def absent(v: Vector, labels: Labels) -> Vector:
    missing = ~v.present.any(axis=0) if len(v) else np.ones(v.steps, bool)
    return Vector([labels], np.ones((1, v.steps)), missing[None, :])


# ----------------------------------------------------------------------------- dates


def date_function(name: str, arg: Vector | None, steps: np.ndarray) -> Vector:
    if arg is None:  # of the evaluation time
        values = date_part(name, seconds_of_ms(steps))
        return Vector([()], values[None, :], np.ones((1, steps.size), bool))
    return dropped(arg, date_part(name, go_int64(arg.values)))


# ----------------------------------------------------------------------------- labels


_QUIET = re2.Options()
_QUIET.log_errors = False  # an invalid user regex is an answer, not a line on stderr


def label_replace(v: Vector, dst: str, replacement: str, src: str, regex: str) -> Vector:
    try:
        pattern = re2.compile(f"^(?:{regex})$", options=_QUIET)
    except re2.error:
        raise PromQLExecutionError(f"invalid regular expression in label_replace(): {regex}") from None
    if not LABEL_NAME_RE.match(dst):
        raise PromQLExecutionError(f"invalid destination label name in label_replace(): {dst}")
    names = dict(pattern.groupindex)
    out = []
    for ls in v.labels:
        value = get(ls, src)
        m = pattern.search(value)
        if m is None:
            out.append(ls)
            continue
        spans = [m.span(i) for i in range(pattern.groups + 1)]
        out.append(set_label(ls, dst, expand(replacement, value, spans, names)))
    return v.with_labels(out)


def label_join(v: Vector, dst: str, separator: str, sources: list[str]) -> Vector:
    for src in sources:
        if not LABEL_NAME_RE.match(src):
            raise PromQLExecutionError(f"invalid source label name in label_join(): {src}")
    if not LABEL_NAME_RE.match(dst):
        raise PromQLExecutionError(f"invalid destination label name in label_join(): {dst}")
    return v.with_labels([set_label(ls, dst, separator.join(get(ls, s) for s in sources)) for ls in v.labels])


# ----------------------------------------------------------------------------- histograms


def histogram_quantile(q: np.ndarray, v: Vector) -> Vector:
    """Classic histograms: series that differ only in ``le`` (and share a name) are one
    histogram; its quantile at each step from the buckets present there."""
    groups: dict[tuple, list[int]] = {}
    bounds: list[float] = []
    rows: list[int] = []
    for i, ls in enumerate(v.labels):
        le = parse_float(get(ls, BUCKET_LABEL))
        if le is None:
            continue  # no le label, or not a number: Prometheus skips the series
        key = (tuple(p for p in ls if p[0] not in ("__name__", BUCKET_LABEL)), get(ls, "__name__"))
        groups.setdefault(key, []).append(len(rows))
        rows.append(i)
        bounds.append(le)
    if not groups:
        return Vector.empty(v.steps)
    values, present = v.values[rows], v.present[rows]
    upper = np.array(bounds)
    out_labels, out_values, out_present = [], [], []
    for (labels, _name), members in groups.items():
        idx = np.array(members)
        result, has = bucket_quantile(q, upper[idx], values[idx], present[idx])
        out_labels.append(labels)
        out_values.append(result)
        out_present.append(has)
    return Vector(out_labels, np.array(out_values), np.array(out_present)).with_labels(out_labels)
