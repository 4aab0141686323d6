"""Recurring jobs (Temporal Schedules in production): start a workflow on a calendar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class RecurringJob:
    """Start ``workflow`` with ``args`` every ``every_ms`` or on ``cron`` (UTC unless
    ``timezone``); a run still going when the next is due makes the next one skip."""

    id: str
    workflow: str
    args: tuple[Any, ...] = ()
    every_ms: int | None = None
    cron: str | None = None
    timezone: str = "UTC"
    note: str = ""

    def __post_init__(self) -> None:
        if (self.every_ms is None) == (self.cron is None):
            raise ValueError("a recurring job needs exactly one of every_ms and cron")


class RecurringJobs(Protocol):
    async def ensure(self, job: RecurringJob) -> bool:
        """Create the job, or update it to this definition; True when it was created."""
        ...

    async def remove(self, job_id: str) -> bool: ...

    async def trigger(self, job_id: str) -> None:
        """Run the job once now, outside its calendar."""
        ...

    async def describe(self, job_id: str) -> dict[str, Any] | None: ...
