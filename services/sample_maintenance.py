"""Sample store upkeep on a schedule: retention and compaction.

Why a service of its own: the stores know *how* to drop old data and compact chunks
(``ports.samples.Maintainable``), but nothing on the write path may wait for either,
and both must happen whether or not anyone queries. The writer process (and the
embedded runtime, which is its own writer) runs this loop next to its consumer.

Each round, in this order:

1. ``maintain(now, retention)``: partitions for the coming days exist before a write
   needs them, and whole days past the retention go (first, so a writer back from a
   long outage never compacts data it is about to drop);
2. ``compact(now - compact_after)``: windows old enough that no more samples are
   expected are merged and rolled up (range queries then read rollups, not samples).

A failing step is logged and retried next round; it never stops the loop or the
writer. Both steps are idempotent and safe to interrupt, so several writer processes
may each run this, and stopping one never waits for a compaction to end.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from ports.clock import Clock
from ports.samples import Maintainable

log = logging.getLogger(__name__)

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class MaintenancePolicy:
    """How long samples are kept, when chunks are compacted, how often to look."""

    retention_ms: int = 15 * DAY_MS
    compact_after_ms: int = 2 * 3600 * 1000
    interval_s: float = 300.0

    def __post_init__(self) -> None:
        if self.retention_ms <= 0:
            raise ValueError("retention_ms must be positive")
        if self.compact_after_ms < 0:
            raise ValueError("compact_after_ms must not be negative")
        if self.interval_s <= 0:
            raise ValueError("interval_s must be positive")


@dataclass(slots=True)
class MaintenanceRound:
    """What one round did, for the log and for tests."""

    at_ms: int
    dropped: Sequence[str] = ()
    compaction: object | None = None
    errors: list[str] = field(default_factory=list)


class SampleMaintenance:
    def __init__(self, store: Maintainable, clock: Clock, policy: MaintenancePolicy = MaintenancePolicy()) -> None:
        self._store = store
        self._clock = clock
        self._policy = policy
        self.rounds = 0

    @property
    def policy(self) -> MaintenancePolicy:
        return self._policy

    async def run_once(self) -> MaintenanceRound:
        """One round at the clock's now; errors are recorded, never raised."""
        now = self._clock.now_ms()
        done = MaintenanceRound(now)
        try:
            done.dropped = await self._store.maintain(now, self._policy.retention_ms)
        except Exception as exc:
            log.exception("sample retention failed; retried in %.0f s", self._policy.interval_s)
            done.errors.append(f"maintain: {exc!r}")
        try:
            done.compaction = await self._store.compact(now - self._policy.compact_after_ms)
        except Exception as exc:
            log.exception("sample compaction failed; retried in %.0f s", self._policy.interval_s)
            done.errors.append(f"compact: {exc!r}")
        self.rounds += 1
        if done.dropped:
            log.info("sample retention dropped %s", ", ".join(done.dropped))
        if done.compaction is not None:
            log.info("sample compaction: %s", done.compaction)
        return done

    async def run(self, stop: asyncio.Event) -> None:
        """A round at once, then one every ``interval_s`` until ``stop`` is set.

        ``stop`` also cancels a round in progress: a process asked to stop must not
        wait for a long compaction, and cutting one short is safe (it commits per
        batch of series; the next round finishes what is left)."""
        while not stop.is_set():
            current = asyncio.ensure_future(self.run_once())
            stopping = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait({current, stopping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopping.cancel()
                if not current.done():
                    current.cancel()
                    log.info("sample maintenance round cancelled: stopping")
                await asyncio.gather(current, stopping, return_exceptions=True)
            try:
                await asyncio.wait_for(stop.wait(), self._policy.interval_s)
            except TimeoutError:
                pass
