"""The values evaluation passes around, as dense numpy arrays over the evaluation steps.

An instant vector evaluated at T steps is S series × T steps: ``values`` (float64) and
``present`` (bool), so a step where a series has no sample costs a flag, not an
object, and every operator is a handful of array operations over all steps at once.
A range vector (a matrix selector or subquery) keeps each series' samples and the end
of its window at every step; range functions turn it into an instant vector.
Arrays are never written in place once built (several values may share one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from domain.promql.errors import PromQLExecutionError
from domain.promql.labels import Labels

STALE_NAN_BITS = 0x7FF0000000000002  # Prometheus' staleness marker, a NaN with this payload


def is_stale(values: np.ndarray) -> np.ndarray:
    return values.view(np.int64) == STALE_NAN_BITS


@dataclass(frozen=True, slots=True)
class Scalar:
    values: np.ndarray  # float64 [T]


@dataclass(frozen=True, slots=True)
class String:
    value: str


@dataclass(frozen=True, slots=True)
class Vector:
    labels: list[Labels]
    values: np.ndarray  # float64 [S, T]
    present: np.ndarray  # bool [S, T]

    @classmethod
    def empty(cls, steps: int) -> "Vector":
        return cls([], np.empty((0, steps)), np.empty((0, steps), bool))

    @property
    def steps(self) -> int:
        return self.values.shape[1]

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, rows: np.ndarray | list[int]) -> "Vector":
        rows = np.asarray(rows, dtype=np.intp)
        return Vector([self.labels[i] for i in rows.tolist()], self.values[rows], self.present[rows])

    def compact(self) -> "Vector":
        """Without the series present at no step."""
        if not len(self.labels):
            return self
        keep = self.present.any(axis=1)
        if keep.all():
            return self
        return self.take(np.flatnonzero(keep))

    def with_labels(self, labels: list[Labels]) -> "Vector":
        """The same points under new labels; series that now share a label set are merged
        (Prometheus: "vector cannot contain metrics with the same labelset" if two of
        them have a point at the same step)."""
        return merge_rows(labels, self.values, self.present)


def merge_rows(labels: list[Labels], values: np.ndarray, present: np.ndarray) -> Vector:
    """A vector from rows that may repeat a label set; repeated rows are combined, and
    an error is raised if two of them have a point at the same step."""
    first: dict[Labels, int] = {}
    repeats: dict[int, list[int]] = {}
    for i, ls in enumerate(labels):
        j = first.setdefault(ls, i)
        if j != i:
            repeats.setdefault(j, [j]).append(i)
    if not repeats:
        return Vector(list(labels), values, present)
    values, present = values.copy(), present.copy()
    for j, rows in repeats.items():
        if (present[rows].sum(axis=0) > 1).any():
            raise PromQLExecutionError("vector cannot contain metrics with the same labelset")
        for i in rows[1:]:
            values[j] = np.where(present[i], values[i], values[j])
            present[j] |= present[i]
    keep = sorted(first.values())
    return Vector([labels[i] for i in keep], values[keep], present[keep])


@dataclass(frozen=True, slots=True)
class Matrix:
    """A range vector at every step: each series' samples (staleness markers removed)
    and, per step, the window ``[ends - range_ms, ends]`` (both ends included)."""

    labels: list[Labels]
    samples: list[tuple[np.ndarray, np.ndarray]]  # (timestamps int64, values float64) per series
    range_ms: int
    ends: np.ndarray  # int64 [T]

    @property
    def steps(self) -> int:
        return self.ends.size


Value = Scalar | String | Vector | Matrix
