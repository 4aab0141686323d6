"""Group notification timing: hand-worked timelines for group_wait, group_interval and
repeat_interval, resolved-once, and properties over random add/flush sequences."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.alerts.fingerprint import fingerprint
from domain.alerts.grouping import AlertGroup, GroupNotification, GroupTiming, group_key
from domain.alerts.state import AlertState
from domain.errors import InvalidTransition, ValidationError
from domain.metrics.labels import LabelSet

F, R = AlertState.FIRING, AlertState.RESOLVED
TIMING = GroupTiming(group_wait_ms=30_000, group_interval_ms=300_000, repeat_interval_ms=3_600_000)
A = LabelSet.of({"alertname": "Disk", "instance": "a"})
B = LabelSet.of({"alertname": "Disk", "instance": "b"})
FA, FB = fingerprint(A), fingerprint(B)


def new_group() -> AlertGroup:
    return AlertGroup(group_key("root", A, ("alertname",)), "pager", TIMING, A.only(["alertname"]))


def fps(n: GroupNotification) -> tuple[list[str], list[str]]:
    return [a.fingerprint for a in n.firing], [a.fingerprint for a in n.resolved]


def test_defaults_are_alertmanagers():
    assert GroupTiming() == GroupTiming(30_000, 300_000, 4 * 3_600_000)
    with pytest.raises(ValidationError):
        GroupTiming(group_interval_ms=0)
    with pytest.raises(ValidationError):
        GroupTiming(group_wait_ms=-1)


def test_timeline_wait_interval_repeat_resolve():
    g = new_group()
    assert g.next_flush_ms() is None
    g.add(A, FA, F, now_ms=0)
    assert g.next_flush_ms() == 30_000  # first alert + group_wait
    assert g.flush(29_999) is None
    n = g.flush(30_000)
    assert n is not None and fps(n) == ([FA], []) and n.at_ms == 30_000 and n.receiver == "pager"
    assert g.next_flush_ms() == 330_000

    g.add(B, FB, F, now_ms=100_000)  # arrives mid-interval: waits for the tick
    assert g.flush(100_000) is None and g.next_flush_ms() == 330_000
    n = g.flush(330_000)
    assert n is not None and fps(n) == (sorted([FA, FB]), [])

    assert g.flush(630_000) is None  # nothing changed, repeat not due
    g.add(A, FA, R, now_ms=700_000)
    n = g.flush(930_000)
    assert n is not None and fps(n) == ([FB], [FA])  # A reported resolved ...
    assert FA not in g.alerts()  # ... once, then dropped

    sent = [t for t in range(1_230_000, 5_000_000, 300_000) if g.flush(t) is not None]
    assert sent == [930_000 + 3_600_000]  # unchanged group: re-sent after repeat_interval only

    g.add(B, FB, R, now_ms=4_600_000)
    n = g.flush(g.next_flush_ms())  # type: ignore[arg-type]
    assert n is not None and fps(n) == ([], [FB])
    assert g.done and g.next_flush_ms() is None
    with pytest.raises(InvalidTransition):
        g.add(A, FA, F, now_ms=5_000_000)


def test_fired_and_resolved_within_group_wait_is_never_sent():
    g = new_group()
    g.add(A, FA, F, now_ms=0)
    g.add(A, FA, R, now_ms=10_000)
    assert g.flush(30_000) is None and g.done


def test_resolved_alert_the_receiver_never_saw_is_dropped_silently():
    g = new_group()
    g.add(A, FA, F, now_ms=0)
    g.flush(30_000)
    g.add(B, FB, F, now_ms=40_000)
    g.add(B, FB, R, now_ms=50_000)
    assert g.flush(330_000) is None and FB not in g.alerts()


def test_resolved_for_an_unknown_alert_is_ignored():
    g = new_group()
    g.add(B, FB, R, now_ms=0)
    assert g.next_flush_ms() is None and g.alerts() == {}


def test_refiring_before_the_tick_is_not_a_change():
    g = new_group()
    g.add(A, FA, F, now_ms=0)
    g.flush(30_000)
    g.add(A, FA, R, now_ms=40_000)
    g.add(A, FA, F, now_ms=50_000)
    assert g.flush(330_000) is None


def test_late_flush_schedules_from_when_it_ran():
    g = new_group()
    g.add(A, FA, F, now_ms=0)
    assert g.flush(45_000) is not None
    assert g.next_flush_ms() == 345_000


def test_only_firing_or_resolved_alerts_are_grouped():
    with pytest.raises(ValidationError):
        new_group().add(A, FA, AlertState.PENDING, now_ms=0)


def test_idempotency_key_is_stable_and_content_bound():
    g1, g2 = new_group(), new_group()
    for g in (g1, g2):
        g.add(A, FA, F, now_ms=0)
    n1, n2 = g1.flush(30_000), g2.flush(30_000)
    assert n1 == n2 and n1.idempotency_key == n2.idempotency_key  # type: ignore[union-attr]
    g2.add(B, FB, F, now_ms=31_000)
    assert g2.flush(330_000).idempotency_key != n1.idempotency_key  # type: ignore[union-attr]


# -- properties over random sequences ----------------------------------------------------

LABELS = [LabelSet.of({"alertname": "Disk", "instance": str(i)}) for i in range(4)]
STEPS = st.lists(
    st.tuples(st.integers(0, 400_000), st.one_of(st.tuples(st.integers(0, 3), st.sampled_from([F, R])), st.none())),
    max_size=40,
)


@given(STEPS)
def test_timing_and_resolved_once_hold_for_any_sequence(steps):
    g = new_group()
    now, first_add = 0, None
    sent: list[GroupNotification] = []
    ever_notified_firing: set[str] = set()
    for dt, add in steps:
        now += dt
        due = g.next_flush_ms()
        if add is None:
            n = g.flush(now)
            if due is None or now < due:
                assert n is None
            if n is not None:
                sent.append(n)
                ever_notified_firing |= {a.fingerprint for a in n.firing}
        elif not g.done:
            i, state = add
            g.add(LABELS[i], fingerprint(LABELS[i]), state, now)
            if first_add is None and g.next_flush_ms() is not None:
                first_add = now
        if g.done:
            assert g.next_flush_ms() is None and g.alerts() == {}
    if sent:
        assert first_add is not None and sent[0].at_ms >= first_add + TIMING.group_wait_ms
    for earlier, later in zip(sent, sent[1:]):
        assert later.at_ms - earlier.at_ms >= TIMING.group_interval_ms
    told: dict[str, str] = {}  # what the receiver last heard about each alert
    for n in sent:
        firing, resolved = {a.fingerprint for a in n.firing}, {a.fingerprint for a in n.resolved}
        assert (firing or resolved) and not firing & resolved
        for fp in resolved:
            assert told.get(fp) == "firing", "resolved sent twice, or for an alert never sent firing"
        for fp, last in told.items():
            assert last != "firing" or fp in firing | resolved, "a firing alert vanished without a resolve"
        told |= {fp: "firing" for fp in firing} | {fp: "resolved" for fp in resolved}


def test_a_withdrawn_alert_disappears_without_a_resolution():
    g = new_group()
    g.add(A, FA, F, now_ms=0)
    g.add(B, FB, F, now_ms=0)
    assert fps(g.flush(30_000)) == (sorted([FA, FB]), [])
    assert g.withdraw(FA) is True and g.withdraw(FA) is False
    assert FA not in g.alerts()
    assert g.flush(330_000) is None  # no news: A is not reported resolved
    g.add(A, FA, F, now_ms=400_000)  # back, and the receiver still knows it firing: not news
    assert g.flush(630_000) is None
    assert fps(g.flush(3_630_000)) == (sorted([FA, FB]), [])  # the repeat carries both again


def test_a_group_emptied_by_withdrawal_is_done_at_its_next_flush():
    g = new_group()
    g.add(A, FA, F, now_ms=0)
    g.withdraw(FA)
    assert g.flush(30_000) is None
    assert g.done
