"""MTTA / MTTR, including how a reopen counts."""

from __future__ import annotations

from domain.incidents.analytics import mean_times, mtta_ms, mttr_ms
from domain.incidents.incident import Incident

MIN = 60_000
T0 = 1_700_000_000_000


def resolved(ack_min: int, res_min: int, id: str = "i") -> Incident:
    inc = Incident.open(id, "acme", "x", "SEV2", T0)
    inc.acknowledge("a", T0 + ack_min * MIN)
    inc.mitigate("a", T0 + ack_min * MIN)
    inc.resolve("a", T0 + res_min * MIN)
    return inc


def test_unreached_milestones_are_none():
    inc = Incident.open("i", "acme", "x", "SEV2", T0)
    assert mtta_ms(inc) is None and mttr_ms(inc) is None
    inc.acknowledge("a", T0 + 4 * MIN)
    assert mtta_ms(inc) == 4 * MIN and mttr_ms(inc) is None


def test_hand_worked_single_incident_and_close():
    inc = resolved(ack_min=3, res_min=42)
    assert (mtta_ms(inc), mttr_ms(inc)) == (3 * MIN, 42 * MIN)
    inc.close("a", T0 + 100 * MIN)  # closing files it; the figures do not move
    assert (mtta_ms(inc), mttr_ms(inc)) == (3 * MIN, 42 * MIN)


def test_reopen_keeps_first_ack_and_measures_to_final_resolution():
    inc = resolved(ack_min=5, res_min=30)
    inc.reopen("b", T0 + 60 * MIN, "back again")
    assert mtta_ms(inc) == 5 * MIN
    assert mttr_ms(inc) is None  # unresolved again
    inc.acknowledge("b", T0 + 70 * MIN)
    inc.mitigate("b", T0 + 80 * MIN)
    inc.resolve("b", T0 + 90 * MIN)
    assert (mtta_ms(inc), mttr_ms(inc)) == (5 * MIN, 90 * MIN)


def test_mean_times_skip_unreached():
    a = resolved(2, 20, "a")
    b = resolved(4, 60, "b")
    c = Incident.open("c", "acme", "x", "SEV3", T0)
    c.acknowledge("z", T0 + 9 * MIN)
    d = Incident.open("d", "acme", "x", "SEV3", T0)
    assert mean_times([a, b, c, d]) == (5 * MIN, 40 * MIN)
    assert mean_times([]) == (None, None)
    assert mean_times([d]) == (None, None)
    assert mean_times(iter([a])) == (2 * MIN, 20 * MIN)


def test_mean_rounds_to_whole_ms():
    a = Incident.open("a", "t", "x", "SEV1", T0)
    a.acknowledge("z", T0 + 1)
    b = Incident.open("b", "t", "x", "SEV1", T0)
    b.acknowledge("z", T0 + 4)
    assert mean_times([a, b]) == (2, None)  # 2.5 rounds half to even
