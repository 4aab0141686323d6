"""The postmortem workflow's input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class PostmortemInput:
    tenant: str
    incident_id: str
    round: int
    snapshot: dict[str, Any]
    timeline: list[dict[str, Any]]
    due_at_ms: int
    remind_before_ms: int
    overdue_every_ms: int
    max_reminders: int
    parent_workflow_id: str | None = None
