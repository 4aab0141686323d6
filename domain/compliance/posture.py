"""Compliance posture: one score per framework, from the latest evaluation of each control.

For a framework F, let C(F) be the controls with at least one reference to F, each
taken at its latest evaluation, and w(c) its severity weight (low 1, medium 2, high 3,
critical 4). Controls evaluated NOT_APPLICABLE leave the calculation; the rest are
*applicable*:

    score(F) = 100 × Σ w(c) over applicable c that PASS  /  Σ w(c) over applicable c

FAIL, ERROR and never-evaluated controls stay in the denominator: evidence that could
not be gathered is not evidence of compliance, and a control nobody evaluated proves
nothing. If F has no applicable control, its score is ``None`` ("no evidence"), not 100:
an empty framework must not look perfect.

Properties the tests check: the score is in [0, 100] or None; turning any FAIL into
PASS never lowers it; severity weights make a critical failure cost four low ones.

"Latest" is the greatest ``evaluated_at_ms``; on a tie the worse outcome wins
(FAIL, then ERROR, then NOT_APPLICABLE, then PASS), so the result does not depend on
the order evaluations are passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain.compliance.controls import Control, Framework
from domain.compliance.evaluation import ControlStatus, Evaluation
from domain.errors import ValidationError

_BADNESS = {
    ControlStatus.PASS: 0,
    ControlStatus.NOT_APPLICABLE: 1,
    ControlStatus.ERROR: 2,
    ControlStatus.FAIL: 3,
}


@dataclass(frozen=True, slots=True)
class PostureScore:
    """``total`` counts every control referencing the framework:
    ``passed + failed + errored + not_applicable + unevaluated``."""

    framework: Framework
    score: float | None
    passed: int
    failed: int
    errored: int
    not_applicable: int
    total: int
    unevaluated: int = 0

    @property
    def applicable(self) -> int:
        return self.total - self.not_applicable


def latest_evaluations(evaluations: Iterable[Evaluation]) -> dict[str, Evaluation]:
    """Per control id, the latest evaluation (ties: the worse outcome)."""
    latest: dict[str, Evaluation] = {}
    for ev in evaluations:
        cur = latest.get(ev.control_id)
        if cur is None or (ev.evaluated_at_ms, _BADNESS[ev.status]) > (cur.evaluated_at_ms, _BADNESS[cur.status]):
            latest[ev.control_id] = ev
    return latest


def posture(controls: Iterable[Control], evaluations: Iterable[Evaluation]) -> dict[Framework, PostureScore]:
    """Score every framework (all of ``Framework``, so a UI can list them uniformly).

    Evaluations must all belong to one tenant (mixing tenants is a bug that would leak
    one tenant's posture into another's, so it raises). Evaluations of controls not in
    ``controls`` are ignored.
    """
    controls = tuple(controls)
    ids = [c.id for c in controls]
    if len(set(ids)) != len(ids):
        raise ValidationError("controls contain the same id twice", field="controls")
    evaluations = tuple(evaluations)
    tenants = {ev.tenant for ev in evaluations}
    if len(tenants) > 1:
        raise ValidationError(f"evaluations span several tenants ({', '.join(sorted(tenants))})", field="evaluations")
    latest = latest_evaluations(evaluations)
    return {fw: _score(fw, [c for c in controls if fw in c.frameworks], latest) for fw in Framework}


def _score(framework: Framework, controls: list[Control], latest: dict[str, Evaluation]) -> PostureScore:
    counts = {status: 0 for status in ControlStatus}
    unevaluated = 0
    passed_weight = applicable_weight = 0
    for control in controls:
        ev = latest.get(control.id)
        if ev is None:
            unevaluated += 1
        else:
            counts[ev.status] += 1
            if ev.status is ControlStatus.NOT_APPLICABLE:
                continue
        weight = control.severity.weight
        applicable_weight += weight
        if ev is not None and ev.status is ControlStatus.PASS:
            passed_weight += weight
    score = 100.0 * passed_weight / applicable_weight if applicable_weight else None
    return PostureScore(
        framework=framework,
        score=score,
        passed=counts[ControlStatus.PASS],
        failed=counts[ControlStatus.FAIL],
        errored=counts[ControlStatus.ERROR],
        not_applicable=counts[ControlStatus.NOT_APPLICABLE],
        total=len(controls),
        unevaluated=unevaluated,
    )
