"""The incident workflow's inputs and the state it carries across continue-as-new."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DAY_MS = 86_400_000


@dataclass
class IncidentSettings:
    """Tunables, fixed for the life of the workflow (tests shrink them)."""

    history_limit: int = 5_000
    """Continue-as-new once the history has more events than this (or the server says so)."""
    page_attempts: int = 5
    postmortem_due_ms: int = 5 * DAY_MS
    postmortem_remind_before_ms: int = DAY_MS
    postmortem_overdue_every_ms: int = DAY_MS
    postmortem_max_reminders: int = 5
    keep_log: int = 500


@dataclass
class Escalation:
    """Where the escalation of the current response round is.

    ``step`` is the policy step being waited on (``awaiting``: it was paged and its
    timer runs until ``deadline_ms``) or, when not awaiting, the next one to page.
    Pausing keeps the time left (``remaining_ms``) so a resume continues the same wait.
    """

    round: int = 0
    step: int = 0
    awaiting: bool = False
    deadline_ms: int | None = None
    paused: bool = False
    remaining_ms: int | None = None
    exhausted: bool = False
    escalate_requested: bool = False


@dataclass
class IncidentCarry:
    snapshot: dict[str, Any]
    frozen: dict[str, Any]
    escalation: Escalation
    pages: list[dict[str, Any]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)
    remediations: list[dict[str, Any]] = field(default_factory=list)
    postmortem: dict[str, Any] | None = None
    runs: int = 0
    stored: int = 0  # timeline entries the stored row has (0: unknown, the next persist sends them all)
