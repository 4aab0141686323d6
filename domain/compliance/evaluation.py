"""Evaluating a control: from a check result to a recorded, tenant-scoped outcome.

An evaluation is an immutable record (the audit trail keeps every one); the posture
uses the latest per control.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from domain.compliance.checks import Evidence
from domain.compliance.context import EvaluationContext
from domain.compliance.controls import CONTROL_ID_RE, Control
from domain.errors import ValidationError
from domain.identity.tenants import validate_tenant_id


class ControlStatus(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"  # could not be decided: missing or malformed evidence
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The outcome of one control for one tenant at one time; ``error`` iff ERROR."""

    control_id: str
    tenant: str
    status: ControlStatus
    evidence: tuple[Evidence, ...]
    evaluated_at_ms: int
    error: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.control_id, str) or not CONTROL_ID_RE.fullmatch(self.control_id):
            raise ValidationError(f"invalid control id {self.control_id!r}", field="control_id")
        validate_tenant_id(self.tenant)
        try:
            object.__setattr__(self, "status", ControlStatus(self.status))
        except ValueError:
            raise ValidationError(f"unknown control status {self.status!r}", field="status") from None
        object.__setattr__(self, "evidence", tuple(self.evidence))
        if isinstance(self.evaluated_at_ms, bool) or not isinstance(self.evaluated_at_ms, int) or self.evaluated_at_ms < 0:
            raise ValidationError("evaluated_at_ms must be a non-negative integer of milliseconds", field="evaluated_at_ms")
        if self.status is ControlStatus.ERROR and not self.error:
            raise ValidationError("an ERROR evaluation must say what went wrong", field="error")
        if self.status is not ControlStatus.ERROR and self.error is not None:
            raise ValidationError("only an ERROR evaluation carries an error", field="error")


def evaluate_control(control: Control, ctx: EvaluationContext) -> Evaluation:
    """Evaluate ``control`` against ``ctx``. Never raises for missing or bad evidence."""

    def record(status: ControlStatus, evidence: tuple[Evidence, ...], error: str | None = None) -> Evaluation:
        return Evaluation(control.id, ctx.tenant, status, evidence, ctx.now_ms, error)

    if control.applies_when is not None:
        scope = control.applies_when.evaluate(ctx)
        if scope.passed is None:
            return record(ControlStatus.ERROR, scope.evidence, f"cannot decide whether the control applies: {scope.error or 'undecided'}")
        if not scope.passed:
            return record(ControlStatus.NOT_APPLICABLE, scope.evidence)
    result = control.check.evaluate(ctx)
    if result.passed is None:
        return record(ControlStatus.ERROR, result.evidence, result.error or "check could not be evaluated")
    return record(ControlStatus.PASS if result.passed else ControlStatus.FAIL, result.evidence)


def evaluate_controls(controls: Iterable[Control], ctx: EvaluationContext) -> tuple[Evaluation, ...]:
    return tuple(evaluate_control(c, ctx) for c in controls)
