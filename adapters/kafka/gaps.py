"""Offsets a fetch skipped: fetched again instead of lost.

Our topics are neither compacted nor transactional, so a partition's offsets are
contiguous and a consumer must see every one of them. The Kafka-protocol broker the
tests and benchmarks run (tansu 0.6, memory engine) can make a batch visible before an
earlier one that two producers appended at the same moment: a fetch then returns offsets
N-1 and N+1, N turns up a few milliseconds later, and a consumer that moved on has lost
it (seen as samples missing under the ingest benchmark; see
docs/adr/0006-kafka-and-redis.md). A broker that behaves never trips this: records are
handed out up to the first hole, and the partition is fetched again from it, for up to
``max_wait_s``; a hole older than that is accepted with a warning (a record deleted by a
retention setting someone added, say), so a partition never stalls for good.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

log = logging.getLogger(__name__)
R = TypeVar("R")


class OffsetGaps:
    def __init__(self, group: str, max_wait_s: float = 2.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._group = group
        self._max_wait_s = max_wait_s
        self._now = monotonic
        self._next: dict[Any, int] = {}  # partition -> the offset that must come next
        self._waiting_since: dict[Any, float] = {}

    def expect(self, partition: Any, offset: int) -> None:
        """The consumer was positioned at ``offset`` (a seek or an assignment)."""
        self._next[partition] = offset
        self._waiting_since.pop(partition, None)

    def forget(self, partition: Any) -> None:
        """The partition left this member: where it stands is no longer known here."""
        self._next.pop(partition, None)
        self._waiting_since.pop(partition, None)

    def contiguous(self, partition: Any, records: Sequence[R]) -> tuple[Sequence[R], int | None]:
        """The records before the first hole, and the offset to fetch ``partition``
        from again (None: no hole, or one waited out)."""
        expected = self._next.get(partition)
        for i, record in enumerate(records):
            offset = record.offset  # type: ignore[attr-defined]
            if expected is not None and offset > expected:
                since = self._waiting_since.setdefault(partition, self._now())
                if self._now() - since < self._max_wait_s:
                    self._next[partition] = expected
                    return records[:i], expected
                log.warning("group %s: %s offsets %d-%d never arrived in %.1f s; going on without them",
                            self._group, partition, expected, offset - 1, self._max_wait_s)
            if expected is None or offset >= expected:
                self._waiting_since.pop(partition, None)
                expected = offset + 1
        if expected is not None:
            self._next[partition] = expected
        return records, None
