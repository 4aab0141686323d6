"""Posture: the severity-weighted formula, worked by hand, and its properties."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from domain.compliance import (
    CheckOperator as Op,
    Control,
    ControlStatus as S,
    Evaluation,
    FactCheck,
    Framework,
    FrameworkRef,
    Severity,
    latest_evaluations,
    posture,
)
from domain.errors import ValidationError

CHECK = FactCheck("x", Op.EXISTS)


def ctl(cid: str, severity: Severity, *frameworks: Framework) -> Control:
    refs = tuple(FrameworkRef(f, "1.1") for f in frameworks)
    return Control(cid, f"control {cid}", "", severity, refs, CHECK)


def ev(cid: str, status: S, at: int = 1, tenant: str = "acme") -> Evaluation:
    return Evaluation(cid, tenant, status, (), at, "boom" if status is S.ERROR else None)


CONTROLS = (
    ctl("A", Severity.CRITICAL, Framework.SOC2, Framework.ISO27001),  # weight 4
    ctl("B", Severity.HIGH, Framework.SOC2),  # 3
    ctl("C", Severity.MEDIUM, Framework.SOC2, Framework.CIS),  # 2
    ctl("D", Severity.LOW, Framework.SOC2),  # 1
    ctl("E", Severity.MEDIUM, Framework.ISO27001),  # 2, never evaluated
    ctl("F", Severity.LOW, Framework.CIS),  # 1
    ctl("G", Severity.LOW, Framework.HIPAA),  # 1
)
EVALUATIONS = (
    ev("A", S.PASS),
    ev("B", S.PASS, at=1),
    ev("B", S.FAIL, at=2),  # the latest counts
    ev("C", S.PASS, at=2),
    ev("C", S.ERROR, at=2),  # a tie: the worse outcome counts
    ev("D", S.NOT_APPLICABLE),
    ev("F", S.PASS),
    ev("G", S.NOT_APPLICABLE),
    ev("Z", S.FAIL),  # not a known control: ignored
)


def test_posture_hand_worked():
    scores = posture(CONTROLS, EVALUATIONS)
    assert set(scores) == set(Framework)

    soc2 = scores[Framework.SOC2]
    # applicable A(4) B(3) C(2); D is not applicable; only A passes: 100 * 4 / 9
    assert soc2.score == pytest.approx(44.444, abs=1e-3)
    assert (soc2.passed, soc2.failed, soc2.errored, soc2.not_applicable, soc2.unevaluated, soc2.total) == (1, 1, 1, 1, 0, 4)
    assert soc2.applicable == 3

    iso = scores[Framework.ISO27001]
    # A(4) passes, E(2) was never evaluated and counts as not passed: 100 * 4 / 6
    assert iso.score == pytest.approx(66.667, abs=1e-3)
    assert (iso.passed, iso.unevaluated, iso.total) == (1, 1, 2)

    cis = scores[Framework.CIS]
    # C(2) errored, F(1) passes: 100 * 1 / 3
    assert cis.score == pytest.approx(33.333, abs=1e-3)
    assert (cis.passed, cis.errored, cis.total) == (1, 1, 2)

    # every control not applicable: no evidence, so None rather than 100
    hipaa = scores[Framework.HIPAA]
    assert (hipaa.score, hipaa.not_applicable, hipaa.total) == (None, 1, 1)
    # no controls at all
    assert scores[Framework.PCI_DSS].score is None and scores[Framework.PCI_DSS].total == 0


def test_all_pass_is_exactly_100_and_critical_failure_costs_four_lows():
    controls = [ctl("CRIT", Severity.CRITICAL, Framework.SOC2)] + [
        ctl(f"L{i}", Severity.LOW, Framework.SOC2) for i in range(4)
    ]
    all_pass = [ev(c.id, S.PASS) for c in controls]
    assert posture(controls, all_pass)[Framework.SOC2].score == 100.0
    crit_fails = [ev("CRIT", S.FAIL)] + all_pass[1:]
    lows_fail = all_pass[:1] + [ev(f"L{i}", S.FAIL) for i in range(4)]
    assert posture(controls, crit_fails)[Framework.SOC2].score == posture(controls, lows_fail)[Framework.SOC2].score == 50.0


def test_latest_evaluations_is_order_independent():
    forward = latest_evaluations(EVALUATIONS)
    backward = latest_evaluations(reversed(EVALUATIONS))
    assert forward == backward
    assert forward["B"].status is S.FAIL and forward["C"].status is S.ERROR


def test_posture_refuses_mixed_tenants_and_duplicate_controls():
    with pytest.raises(ValidationError) as info:
        posture(CONTROLS, [ev("A", S.PASS), ev("B", S.PASS, tenant="other")])
    assert info.value.field == "evaluations"
    with pytest.raises(ValidationError) as info:
        posture(CONTROLS + CONTROLS[:1], [])
    assert info.value.field == "controls"


# --- properties -----------------------------------------------------------------------

STATUSES = st.sampled_from([*S, None])  # None: never evaluated


@st.composite
def scenarios(draw):
    n = draw(st.integers(1, 10))
    controls = [
        ctl(
            f"C{i}",
            draw(st.sampled_from(Severity)),
            *draw(st.sets(st.sampled_from(Framework), min_size=1, max_size=3)),
        )
        for i in range(n)
    ]
    statuses = [draw(STATUSES) for _ in controls]
    return controls, statuses


def evaluations_for(controls, statuses, at=1):
    return [ev(c.id, s, at) for c, s in zip(controls, statuses) if s is not None]


@given(scenarios())
def test_score_is_within_0_100_or_none_and_counts_add_up(scenario):
    controls, statuses = scenario
    for fw, score in posture(controls, evaluations_for(controls, statuses)).items():
        assert score.framework is fw
        assert score.passed + score.failed + score.errored + score.not_applicable + score.unevaluated == score.total
        assert score.total == sum(fw in c.frameworks for c in controls)
        if score.applicable == 0:
            assert score.score is None
        else:
            assert score.score is not None and 0.0 <= score.score <= 100.0
            assert (score.score == 100.0) == (score.passed == score.applicable)
            assert (score.score == 0.0) == (score.passed == 0)


@given(scenarios(), st.data())
def test_turning_a_fail_into_a_pass_never_lowers_the_score(scenario, data):
    controls, statuses = scenario
    before = posture(controls, evaluations_for(controls, statuses))
    not_passing = [i for i, s in enumerate(statuses) if s in (S.FAIL, S.ERROR, None)]
    if not not_passing:
        return
    i = data.draw(st.sampled_from(not_passing))
    # a later PASS evaluation supersedes the earlier outcome
    after = posture(controls, evaluations_for(controls, statuses) + [ev(controls[i].id, S.PASS, at=2)])
    for fw in Framework:
        if fw in controls[i].frameworks:
            assert after[fw].score > before[fw].score  # strictly: the control carries weight
        else:
            assert after[fw] == before[fw]


@given(scenarios(), st.randoms())
def test_score_does_not_depend_on_evaluation_order(scenario, rnd):
    controls, statuses = scenario
    evaluations = evaluations_for(controls, statuses) + evaluations_for(controls, list(reversed(statuses)))
    shuffled = list(evaluations)
    rnd.shuffle(shuffled)
    assert posture(controls, evaluations) == posture(controls, shuffled)
