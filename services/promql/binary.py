"""Binary operators: arithmetic, comparisons (filtering or ``bool``), ``atan2`` and the
set operators, between scalars and vectors, with ``on``/``ignoring`` and
``group_left``/``group_right`` matching, over every step at once.

Matching is decided per step, as Prometheus decides it per step: which right-hand
series a left-hand one pairs with may change over time, and the errors for ambiguous
matches are raised only where the ambiguity exists at some step.
"""

from __future__ import annotations

import numpy as np

from domain.promql.ast import ARITHMETIC, Cardinality, VectorMatching
from domain.promql.errors import PromQLExecutionError
from domain.promql.labels import Labels, drop_name, get, keep, match_signature, render, set_label, delete
from services.promql.values import Scalar, Vector, merge_rows


def apply(op: str, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(value, keep) of ``a op b`` element-wise (Prometheus' ``vectorElemBinop``); keep is
    None for operators that keep every element."""
    if op == "+":
        return a + b, None
    if op == "-":
        return a - b, None
    if op == "*":
        return a * b, None
    if op == "/":
        return a / b, None
    if op == "%":
        return np.fmod(a, b), None
    if op == "^":
        return np.power(a, b), None
    if op == "atan2":
        return np.arctan2(a, b), None
    if op == "==":
        return a, a == b
    if op == "!=":
        return a, a != b
    if op == ">":
        return a, a > b
    if op == "<":
        return a, a < b
    if op == ">=":
        return a, a >= b
    if op == "<=":
        return a, a <= b
    raise ValueError(f"unknown binary operator {op}")


def scalars(op: str, a: Scalar, b: Scalar, return_bool: bool) -> Scalar:
    value, kept = apply(op, a.values, b.values)
    if kept is not None:  # scalar comparisons always carry bool (the parser insists)
        value = kept.astype(np.float64)
    return Scalar(value)


def vector_scalar(op: str, v: Vector, s: Scalar, scalar_left: bool, return_bool: bool) -> Vector:
    a, b = (s.values[None, :], v.values) if scalar_left else (v.values, s.values[None, :])
    value, kept = apply(op, a, b)
    present = v.present
    if kept is not None:
        value = v.values  # a comparison keeps the vector's value, whichever side it is on
        if return_bool:
            value = kept.astype(np.float64)
        else:
            present = present & kept
    labels = v.labels
    if op in ARITHMETIC or return_bool:
        labels = [drop_name(ls) for ls in labels]
    return Vector(v.labels, value, present).with_labels(labels)


# ----------------------------------------------------------------------------- set operators


def _signatures(v: Vector, matching: VectorMatching) -> list[Labels]:
    return [match_signature(ls, matching.on, matching.labels) for ls in v.labels]


def _any_by_signature(v: Vector, sigs: list[Labels]) -> dict[Labels, np.ndarray]:
    out: dict[Labels, np.ndarray] = {}
    for sig, p in zip(sigs, v.present):
        got = out.get(sig)
        out[sig] = p if got is None else got | p
    return out


def _rows(rows: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    return np.array(rows, dtype=bool).reshape(shape)


def set_operation(op: str, lhs: Vector, rhs: Vector, matching: VectorMatching) -> Vector:
    lsigs, rsigs = _signatures(lhs, matching), _signatures(rhs, matching)
    none = np.zeros(lhs.steps, bool)
    if op == "and":
        right = _any_by_signature(rhs, rsigs)
        present = _rows([p & right.get(s, none) for s, p in zip(lsigs, lhs.present)], lhs.present.shape)
        return merge_rows(lhs.labels, lhs.values, present)
    if op == "unless":
        right = _any_by_signature(rhs, rsigs)
        present = _rows([p & ~right.get(s, none) for s, p in zip(lsigs, lhs.present)], lhs.present.shape)
        return merge_rows(lhs.labels, lhs.values, present)
    left = _any_by_signature(lhs, lsigs)
    extra = _rows([p & ~left.get(s, none) for s, p in zip(rsigs, rhs.present)], rhs.present.shape)
    return merge_rows(lhs.labels + rhs.labels, np.concatenate([lhs.values, rhs.values]),
                      np.concatenate([lhs.present, extra]))


# ----------------------------------------------------------------------------- vector matching


def _result_labels(many: Labels, one: Labels, op: str, matching: VectorMatching, return_bool: bool) -> Labels:
    """Prometheus' ``resultMetric``: the many side's labels, the name dropped for
    arithmetic, cut to the ``on`` labels (or without the ``ignoring`` ones) for
    one-to-one, plus the ``group_x`` labels taken from the one side."""
    out = many
    if op in ARITHMETIC:
        out = drop_name(out)
    if matching.card is Cardinality.ONE_TO_ONE:
        out = keep(out, matching.labels) if matching.on else delete(out, matching.labels)
    for name in matching.include:
        out = set_label(out, name, get(one, name))
    if return_bool:
        out = drop_name(out)
    return out


def vector_vector(op: str, lhs: Vector, rhs: Vector, matching: VectorMatching, return_bool: bool) -> Vector:
    steps = lhs.steps
    swapped = matching.card is Cardinality.ONE_TO_MANY
    many, one = (rhs, lhs) if swapped else (lhs, rhs)
    msigs, osigs = _signatures(many, matching), _signatures(one, matching)
    many_any = many.present.any(axis=0) if len(many) else np.zeros(steps, bool)
    one_any = one.present.any(axis=0) if len(one) else np.zeros(steps, bool)
    active = many_any & one_any  # Prometheus skips a step where either side is empty

    # The one side: per signature, which of its series is present at each step.
    by_sig: dict[Labels, list[int]] = {}
    for j, sig in enumerate(osigs):
        by_sig.setdefault(sig, []).append(j)
    partner: dict[Labels, np.ndarray] = {}
    for sig, rows in by_sig.items():
        p = one.present[rows]
        doubled = (p.sum(axis=0) > 1) & active
        if doubled.any():
            t = int(np.argmax(doubled))
            a, b = [one.labels[r] for r in rows if one.present[r, t]][:2]
            side = "left" if swapped else "right"
            raise PromQLExecutionError(
                f"found duplicate series for the match group {render(sig)} on the {side} hand-side of the operation: "
                f"[{render(b)}, {render(a)}];many-to-many matching not allowed: matching labels must be unique on one side"
            )
        partner[sig] = np.where(p.any(axis=0), np.asarray(rows)[np.argmax(p, axis=0)], -1)

    out_labels: list[Labels] = []
    out_values: list[np.ndarray] = []
    out_present: list[np.ndarray] = []
    out_sig: list[Labels] = []
    matched_by_sig: dict[Labels, np.ndarray] = {}
    for i, sig in enumerate(msigs):
        r = partner.get(sig)
        if r is None:
            continue
        matched = many.present[i] & (r >= 0) & active
        if not matched.any():
            continue
        rc = np.maximum(r, 0)
        ov = one.values[rc, np.arange(steps)]
        a, b = (ov, many.values[i]) if swapped else (many.values[i], ov)
        value, kept = apply(op, a, b)
        present = matched
        if kept is not None:
            if return_bool:
                value = kept.astype(np.float64)
            else:
                present = matched & kept
        if matching.card is Cardinality.ONE_TO_ONE:
            counted = matched if return_bool else present
            before = matched_by_sig.get(sig)
            if before is not None and (before & counted).any():
                raise PromQLExecutionError(
                    "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)")
            matched_by_sig[sig] = counted if before is None else before | counted
        for partner_row in np.unique(r[present]).tolist():
            at = present & (r == partner_row)
            out_labels.append(_result_labels(many.labels[i], one.labels[partner_row], op, matching, return_bool))
            out_values.append(value)
            out_present.append(at)
            out_sig.append(sig)
    if not out_labels:
        return Vector.empty(steps)
    if matching.card is not Cardinality.ONE_TO_ONE:
        seen: dict[tuple[Labels, Labels], np.ndarray] = {}
        for ls, sig, p in zip(out_labels, out_sig, out_present):
            before = seen.get((sig, ls))
            if before is not None and (before & p).any():
                raise PromQLExecutionError("multiple matches for labels: grouping labels must ensure unique matches")
            seen[(sig, ls)] = p if before is None else before | p
    return merge_rows(out_labels, np.array(out_values), np.array(out_present))


def binary_vectors(op: str, lhs: Vector, rhs: Vector, matching: VectorMatching, return_bool: bool) -> Vector:
    if op in ("and", "or", "unless"):
        return set_operation(op, lhs, rhs, matching)
    return vector_vector(op, lhs, rhs, matching, return_bool)
