"""Aggregation operators (``sum``, ``avg``, ``topk``, ``count_values``...) over groups of
series, vectorised over every step.

Each group's members are folded in series order with the exact update Prometheus 2.42
applies per element (``avg``'s incremental mean, ``stddev``'s Welford, ``max``'s NaN
rule), so results agree to the last bit; the loop runs once per series, each
iteration covering all steps.
"""

from __future__ import annotations

import numpy as np

from domain.promql.errors import PromQLExecutionError
from domain.promql.goheap import select_k
from domain.promql.gofloat import format_f, format_sample
from domain.promql.labels import Labels, grouping_key, set_label
from domain.metrics.labels import LABEL_NAME_RE
from services.promql.range_functions import go_quantile
from services.promql.values import Scalar, String, Vector


def _groups(keys: list[Labels]) -> dict[Labels, list[int]]:
    groups: dict[Labels, list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    return groups


def _fold(op: str, values: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One group's value at every step; rows are its members in order."""
    steps = values.shape[1]
    seen = np.zeros(steps, bool)
    value = np.zeros(steps)
    mean = np.zeros(steps)
    count = np.zeros(steps)
    for v, p in zip(values, present):
        first = p & ~seen
        more = p & seen
        if op == "sum":
            value = np.where(first, v, np.where(more, value + v, value))
        elif op == "max":
            value = np.where(first | (more & ((value < v) | np.isnan(value))), v, value)
        elif op == "min":
            value = np.where(first | (more & ((value > v) | np.isnan(value))), v, value)
        elif op == "avg":
            c = count + 1
            inf = np.isinf(mean)
            keep = inf & ((np.isinf(v) & ((mean > 0) == (v > 0))) | (~np.isinf(v) & ~np.isnan(v)))
            updated = mean + (v / c - mean / c)
            mean = np.where(first, v, np.where(more & ~keep, updated, mean))
        elif op in ("stddev", "stdvar"):
            c = count + 1
            delta = v - mean
            new_mean = mean + delta / c
            new_value = value + delta * (v - new_mean)
            mean = np.where(first, v, np.where(more, new_mean, mean))
            value = np.where(first, 0.0, np.where(more, new_value, value))
        count = count + p
        seen |= p
    if op == "avg":
        value = mean
    elif op == "count":
        value = count
    elif op == "group":
        value = np.ones(steps)
    elif op == "stdvar":
        value = value / np.maximum(count, 1)
    elif op == "stddev":
        value = np.sqrt(value / np.maximum(count, 1))
    return value, seen


def _k(param: np.ndarray) -> np.ndarray:
    bad = ~np.isfinite(param) | (np.abs(param) >= 2.0**63)
    if bad.any():

        raise PromQLExecutionError(f"Scalar value {format_sample(float(param[np.argmax(bad)]))} overflows int64")
    return np.trunc(param).astype(np.int64)


def _select_k(values: np.ndarray, present: np.ndarray, k: np.ndarray, bottom: bool) -> np.ndarray:
    """Which members ``topk``/``bottomk`` keep at each step (bool [G, T])."""
    rows, steps = values.shape
    keep = np.zeros((rows, steps), bool)
    order_key = values if bottom else -values
    nan = np.isnan(values)
    # Sort per step: present before absent, numbers before NaN, by value, then by position.
    position = np.broadcast_to(np.arange(rows)[:, None], (rows, steps))
    order = np.lexsort((position, np.where(nan, 0.0, order_key), nan, ~present), axis=0)
    ranked = np.empty_like(order)
    np.put_along_axis(ranked, order, np.arange(rows)[:, None], axis=0)
    keep = present & (ranked < k[None, :])
    # Where equal values (or NaN) make the choice depend on the heap, replay the heap.
    sorted_values = np.take_along_axis(np.where(present, values, np.nan), order, axis=0)
    n = present.sum(axis=0)
    ties = np.zeros(steps, bool)
    if rows > 1:
        same = (sorted_values[1:] == sorted_values[:-1]) & (np.arange(1, rows)[:, None] < n[None, :])
        ties = same.any(axis=0) | (nan & present).any(axis=0)
    for t in np.flatnonzero(ties & (k < n) & (k >= 1)):
        members = np.flatnonzero(present[:, t])
        chosen = select_k(values[members, t].tolist(), int(k[t]), bottom)
        keep[:, t] = False
        keep[members[chosen], t] = True
    return keep


def _count_values(label: str, v: Vector, grouping: tuple[str, ...], without: bool) -> Vector:
    if not LABEL_NAME_RE.match(label):
        raise PromQLExecutionError(f'invalid label name "{label}"')
    by = tuple(grouping) if without else (*grouping, label)
    counts: dict[Labels, np.ndarray] = {}
    bits = v.values.view(np.int64)
    text: dict[int, str] = {}
    for i, ls in enumerate(v.labels):
        row_bits = bits[i][v.present[i]]
        if not row_bits.size:
            continue
        cols = np.flatnonzero(v.present[i])
        for b in np.unique(row_bits).tolist():
            s = text.get(b)
            if s is None:
                s = text[b] = format_f(float(np.int64(b).view(np.float64)))
            key = grouping_key(set_label(ls, label, s), by, without)
            got = counts.get(key)
            if got is None:
                got = counts[key] = np.zeros(v.steps)
            got[cols[row_bits == b]] += 1
    labels = list(counts)
    if not labels:
        return Vector.empty(v.steps)
    values = np.array([counts[k] for k in labels])
    return Vector(labels, values, values > 0)


def aggregate(op: str, v: Vector, grouping: tuple[str, ...], without: bool, param: Scalar | String | None) -> Vector:
    if op == "count_values":
        assert isinstance(param, String)
        return _count_values(param.value, v, grouping, without)
    k = None
    if op in ("topk", "bottomk"):
        assert isinstance(param, Scalar)
        k = _k(param.values)  # checked at every step, even where the input is empty (as Prometheus does)
    if not len(v):
        return Vector.empty(v.steps)
    keys = [grouping_key(ls, grouping, without) for ls in v.labels]
    groups = _groups(keys)
    if k is not None:
        keep = np.zeros_like(v.present)
        for members in groups.values():
            idx = np.array(members)
            keep[idx] = _select_k(v.values[idx], v.present[idx], k, op == "bottomk")
        return Vector(v.labels, v.values, keep).compact()
    out_labels, out_values, out_present = [], [], []
    for key, members in groups.items():
        idx = np.array(members)
        values, present = v.values[idx], v.present[idx]
        if op == "quantile":
            assert isinstance(param, Scalar)
            value = go_quantile(param.values, values.T, present.T)
            has = present.any(axis=0)
        else:
            value, has = _fold(op, values, present)
        out_labels.append(key)
        out_values.append(value)
        out_present.append(has)
    return Vector(out_labels, np.array(out_values), np.array(out_present))
