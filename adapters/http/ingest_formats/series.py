"""Gathering decoded points into ``RawSeries``: one per distinct (name, labels).

A request may carry points of one series in several places (remote write 2.0 repeats
a series for its exemplars or metadata; OTLP has one data point per timestamp), and one
point may fan out into several series (a histogram's buckets). The ingest service wants
each series once, with all its samples, so that a batch never holds the same series
twice.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping

from domain.errors import BatchRejected, LimitExceeded
from services.ingest import RawSeries

# Prometheus' staleness marker: a NaN with this exact payload (value.StaleNaN). Our
# bus codec carries float64 bits unchanged, so the marker survives end to end.
STALE_NAN_BITS = 0x7FF0000000000002
STALE_NAN: float = struct.unpack("<d", struct.pack("<Q", STALE_NAN_BITS))[0]


def is_stale_nan(value: float) -> bool:
    return struct.pack("<d", value) == struct.pack("<Q", STALE_NAN_BITS)


class SeriesAccumulator:
    def __init__(self) -> None:
        self._entries: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[str, dict[str, str], list, str, str, str]] = {}

    def add(self, name: str, labels: Mapping[str, str], samples: Iterable[list], kind: str, unit: str, origin: str) -> None:
        key = (name, tuple(sorted(labels.items())))
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = (name, dict(labels), [], kind, unit, origin)
        entry[2].extend(samples)

    def series(self) -> list[RawSeries]:
        return [RawSeries(name, labels, samples, kind, unit, origin) for name, labels, samples, kind, unit, origin in self._entries.values()]

    def __len__(self) -> int:
        return len(self._entries)


def reject(errors: list) -> None:
    """Raise what a decoder found, as the ingest service would: one limit error on its
    own (so it answers 413/422 naming the limit), anything else as a rejected batch."""
    if not errors:
        return
    if len(errors) == 1 and isinstance(errors[0], LimitExceeded):
        raise errors[0]
    raise BatchRejected(errors[:20])
