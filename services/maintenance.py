"""Recurring maintenance windows opened and closed on a schedule.

A scheduled workflow run opens one occurrence (a silence over the window's matchers
from now until its end) and closes it when its durable timer fires. The silence id is
derived from the window and the occurrence's start, so a retried "open" finds the
silence it already created, and "close" on an expired or missing one does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from domain.alerts.silences import Silence, SilenceState
from domain.metrics.matchers import Matcher
from ports.repositories import UnitOfWork, UnitOfWorkRunner


def occurrence_id(window_id: str, occurrence_ms: int) -> str:
    return f"mw-{window_id}-{occurrence_ms}"


class MaintenanceService:
    def __init__(self, uow: UnitOfWorkRunner) -> None:
        self._uow = uow

    async def open_window(self, tenant: str, window_id: str, occurrence_ms: int, ends_at_ms: int,
                          matchers: Sequence[Mapping[str, Any]], created_by: str, comment: str) -> str:
        sid = occurrence_id(window_id, occurrence_ms)
        parsed = tuple(Matcher.of(m["name"], m.get("op", "="), m["value"]) for m in matchers)

        def work(uow: UnitOfWork) -> None:
            if uow.silences.get(tenant, sid) is None:
                uow.silences.add(Silence(sid, tenant, parsed, occurrence_ms, ends_at_ms, created_by,
                                         comment or f"maintenance window {window_id}"))

        await self._uow.run(work)
        return sid

    async def close_window(self, tenant: str, silence_id: str, at_ms: int) -> bool:
        """Expire the occurrence's silence; False when it is gone or already over."""

        def work(uow: UnitOfWork) -> bool:
            s = uow.silences.get(tenant, silence_id)
            if s is None or s.state_at(at_ms) is SilenceState.EXPIRED:
                return False
            s.expire(at_ms)
            uow.silences.save(s)
            return True

        return await self._uow.run(work)
