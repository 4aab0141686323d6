"""The remediation workflow's input and result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RemediationInput:
    tenant: str
    incident_id: str
    runbook: dict[str, Any]
    requested_by: str
    dry_run: bool = False
    parent_workflow_id: str | None = None


@dataclass
class RemediationResult:
    """``status``: succeeded | failed (a step failed) | aborted (approval refused or
    timed out) | dry_run. ``steps`` and ``compensated`` list what ran, in order."""

    workflow_id: str
    status: str
    plan: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    compensated: list[dict[str, Any]] = field(default_factory=list)
    failed_step: str | None = None
    reason: str = ""
