"""The sample store: where telemetry lands and is read back by range."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from domain.metrics.batch import SampleBatch
from domain.metrics.kinds import MetricKind
from domain.metrics.query import Selector
from domain.metrics.samples import Sample
from domain.metrics.series import SeriesKey
from ports.columnar import ColumnarBatch


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    key: SeriesKey
    kind: MetricKind
    unit: str
    first_seen_ms: int
    last_seen_ms: int


@dataclass(frozen=True, slots=True)
class SeriesData:
    key: SeriesKey
    samples: list[Sample]


@dataclass(frozen=True, slots=True)
class SeriesMatch:
    """A series a selector matched, with the number of its samples in the range asked,
    counted from the store's own bookkeeping without loading them (so a query's limit
    can refuse it before the read). Stores that count whole chunks may overcount."""

    key: SeriesKey
    samples: int


@dataclass(frozen=True, slots=True)
class SeriesArrays:
    """One series' samples as columns: ``timestamps`` (int64 ms, strictly ascending) and
    ``values`` (float64, bit patterns kept: NaN payloads such as Prometheus' staleness
    marker survive)."""

    key: SeriesKey
    timestamps: np.ndarray
    values: np.ndarray


@dataclass(frozen=True, slots=True)
class BusPosition:
    """A consumed position on the bus: stored with the samples, so a flush and its offsets
    commit together (the bus is the write-ahead log)."""

    topic: str
    partition: int
    offset: int  # the next offset to consume


@runtime_checkable
class ColumnarSampleStore(Protocol):
    """A store that takes batches as columns (``ports/columnar.py``) without turning
    them into objects: the writer hands them over as they came off the bus."""

    async def write_columns(self, batches: Sequence[ColumnarBatch], positions: Sequence[BusPosition] = ()) -> None:
        """``SampleStore.write`` for columnar batches: the same guarantees."""
        ...


class SampleStore(Protocol):
    async def write(self, batches: Sequence[SampleBatch], positions: Sequence[BusPosition] = ()) -> None:
        """Store every sample of ``batches`` and, atomically with them, ``positions``.

        Re-writing a sample that is already stored (same series and timestamp) replaces
        it rather than duplicating it.
        """
        ...

    async def positions(self, topic: str) -> dict[int, int]:
        """The stored next-offset per partition of ``topic`` (empty if none)."""
        ...

    async def select(self, tenant: str, selector: Selector, start_ms: int, end_ms: int) -> list[SeriesData]:
        """Samples of every matching series with start_ms <= t <= end_ms, in time order."""
        ...

    async def series(
        self, tenant: str, selectors: Sequence[Selector], start_ms: int | None, end_ms: int | None, limit: int
    ) -> list[SeriesInfo]:
        """Series matching any selector (all if none) seen within the range."""
        ...

    async def count_series(self, tenant: str) -> int: ...

    async def match_series(self, tenant: str, selector: Selector, start_ms: int, end_ms: int) -> list[SeriesMatch]:
        """Series of ``tenant`` matching ``selector`` that hold samples in
        ``[start_ms, end_ms]``, each with its sample count there, without reading samples."""
        ...

    async def read_arrays(self, tenant: str, keys: Sequence[SeriesKey], start_ms: int, end_ms: int) -> list[SeriesArrays]:
        """Samples with ``start_ms <= t <= end_ms`` of each series of ``keys`` (the newest
        write of a timestamp), as arrays; one entry per key that has any there, in the
        order of ``keys``."""
        ...


@dataclass(frozen=True, slots=True)
class SeriesRollup:
    """Per-step aggregates of one series (``select_rollup``): one entry per non-empty
    bucket ``[t, t + step)``, columns of equal length, ``timestamps`` ascending.

    Columns are sequences: lists, or numpy arrays from stores that compute with numpy
    (so a long range never turns into one Python object per value unless asked to).
    """

    key: SeriesKey
    timestamps: Sequence[int]
    min: Sequence[float]
    max: Sequence[float]
    sum: Sequence[float]
    count: Sequence[int]
    last: Sequence[float]
    # 1 where the bucket's first sample lies exactly on its start ``t``, 0 where not,
    # -1 (or the whole column None) where the store does not know. Why: a query window
    # is ``(t - w, t]`` but a bucket is ``[t, t + step)``; whole buckets answer a window
    # exactly only when no sample sits on its two ends (services/queries.py).
    at_start: Sequence[int] | None = None


@runtime_checkable
class RollupReader(Protocol):
    """Optional capability of a sample store: aggregates per step for long ranges.

    Buckets are aligned to multiples of ``step_ms`` (since the epoch); every bucket that
    overlaps ``[start_ms, end_ms]`` is returned whole (all its samples, not only those
    in the range). MIN and MAX ignore NaN unless a bucket holds only NaN; SUM follows
    IEEE arithmetic. Stores with rollups (PostgreSQL: 1 minute and 1 hour) answer
    steps that are multiples of a rollup from it instead of the samples.
    """

    async def select_rollup(
        self, tenant: str, selector: Selector, start_ms: int, end_ms: int, step_ms: int
    ) -> list[SeriesRollup]: ...


@runtime_checkable
class Flushable(Protocol):
    """Optional capability: stores that buffer writes (PostgreSQL's head) make them
    durable on ``flush`` and release their connections on ``close``. A store without
    buffering may implement both as no-ops."""

    async def flush(self) -> None: ...

    async def close(self) -> None: ...


@runtime_checkable
class Maintainable(Protocol):
    """Optional capability: stores that reorganise their data in the background.

    Nothing calls these on the write path; services/sample_maintenance.py runs them on
    a schedule. Both are idempotent and safe while writers run, so several writer
    processes may run them; the second one finds nothing left to do.
    """

    async def compact(self, older_than_ms: int) -> object:
        """Reorganise data older than ``older_than_ms`` for reading (PostgreSQL: merge
        chunks and compute rollups). Returns a store-specific report, for the log."""
        ...

    async def maintain(self, now_ms: int, retention_ms: int) -> Sequence[str]:
        """Prepare for writes around ``now_ms`` and drop data older than
        ``now_ms - retention_ms``; returns what was dropped (names, for the log)."""
        ...
