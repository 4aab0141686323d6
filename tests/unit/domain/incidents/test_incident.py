"""The incident aggregate: lifecycle guard, timeline, version, events."""

from __future__ import annotations

import copy
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidTransition, ValidationError
from domain.incidents import events as ev
from domain.incidents.incident import (
    TRANSITIONS,
    Action,
    Incident,
    IncidentStatus,
    Severity,
    TimelineEntry,
)

T0 = 1_700_000_000_000


def new(**kw) -> Incident:
    return Incident.open("inc-1", "acme", "API latency", kw.pop("severity", "SEV2"), T0, **kw)


# Path from a fresh incident to each status, so every (status, action) pair is reachable.
PATH = {
    IncidentStatus.TRIGGERED: [],
    IncidentStatus.ACKNOWLEDGED: [Action.ACKNOWLEDGE],
    IncidentStatus.MITIGATED: [Action.ACKNOWLEDGE, Action.MITIGATE],
    IncidentStatus.RESOLVED: [Action.ACKNOWLEDGE, Action.MITIGATE, Action.RESOLVE],
    IncidentStatus.CLOSED: [Action.ACKNOWLEDGE, Action.MITIGATE, Action.RESOLVE, Action.CLOSE],
}


def do(inc: Incident, action: Action, at: int) -> None:
    if action is Action.REOPEN:
        inc.reopen("bob", at, "flapping again")
    elif action in (Action.MITIGATE, Action.RESOLVE):
        getattr(inc, action.value)("bob", at, note="n")
    else:
        getattr(inc, action.value)("bob", at)


def in_status(status: IncidentStatus) -> Incident:
    inc = new()
    for i, action in enumerate(PATH[status], start=1):
        do(inc, action, T0 + i * 1000)
    assert inc.status is status
    return inc


# ------------------------------------------------------------------ severity

@pytest.mark.parametrize(
    "text,expected",
    [("SEV1", Severity.SEV1), ("sev1", Severity.SEV1), ("Sev-2", Severity.SEV2), ("1", Severity.SEV1),
     ("4", Severity.SEV4), ("critical", Severity.SEV1), ("HIGH", Severity.SEV2), ("warning", Severity.SEV3),
     ("medium", Severity.SEV3), ("info", Severity.SEV4), (" low ", Severity.SEV4), (Severity.SEV3, Severity.SEV3)],
)
def test_severity_parse(text, expected):
    assert Severity.parse(text) is expected


@pytest.mark.parametrize("text", ["", "sev5", "0", "urgent", "5", None, 1])
def test_severity_parse_rejects_unknown(text):
    with pytest.raises(ValidationError) as e:
        Severity.parse(text)
    assert e.value.field == "severity"


def test_severity_ordering():
    assert Severity.SEV1.rank == 1 and Severity.SEV4.rank == 4
    assert Severity.SEV1.is_more_severe_than(Severity.SEV2)
    assert not Severity.SEV3.is_more_severe_than("sev3")
    assert Severity.most_severe(["SEV3", "high", Severity.SEV4]) is Severity.SEV2
    assert sorted([Severity.SEV3, Severity.SEV1, Severity.SEV2]) == [Severity.SEV1, Severity.SEV2, Severity.SEV3]
    with pytest.raises(ValidationError):
        Severity.most_severe([])


# ---------------------------------------------------------------- open

def test_open_records_entry_and_event():
    inc = new(alerts=["fp1", "fp2", "fp1"], summary="p99 > 2s", dedup_key="grp:api", actor="alertmanager")
    assert inc.status is IncidentStatus.TRIGGERED
    assert inc.alerts == ("fp1", "fp2")
    assert inc.version == 1 and len(inc.timeline) == 1
    assert inc.timeline[0] == TimelineEntry(T0, "opened", "alertmanager", "API latency",
                                            (("severity", "SEV2"), ("alerts", "2")))
    assert inc.timeline[0].get("severity") == "SEV2"
    (event,) = inc.pull_events()
    assert event == ev.IncidentOpened(incident_id="inc-1", tenant="acme", at_ms=T0, actor="alertmanager", version=1,
                                      title="API latency", severity=Severity.SEV2, alerts=("fp1", "fp2"),
                                      dedup_key="grp:api")
    assert event.kind == "incident.opened"
    assert inc.pull_events() == []


@pytest.mark.parametrize("kw,field", [({"title": " "}, "title"), ({"tenant": ""}, "tenant"),
                                      ({"severity": "sev9"}, "severity"), ({"alerts": ["ok", ""]}, "alerts[1].fingerprint")])
def test_open_validates(kw, field):
    args = {"id": "i", "tenant": "t", "title": "x", "severity": "SEV1", "now_ms": T0} | kw
    with pytest.raises(ValidationError) as e:
        Incident.open(**args)
    assert e.value.field == field


def test_constructor_coerces_strings_for_repositories():
    inc = Incident("i", "t", "x", "critical", "acknowledged", T0, acknowledged_at_ms=T0 + 1, version=7)
    assert inc.severity is Severity.SEV1 and inc.status is IncidentStatus.ACKNOWLEDGED
    inc.mitigate("a", T0 + 2)
    assert inc.version == 8


# ----------------------------------------------------------- lifecycle

def test_full_lifecycle_happy_path():
    inc = new()
    inc.pull_events()
    inc.acknowledge("alice", T0 + 60_000)
    inc.mitigate("alice", T0 + 120_000, note="rolled back")
    inc.resolve("alice", T0 + 300_000, note="fixed")
    inc.close("bob", T0 + 900_000)
    assert (inc.acknowledged_at_ms, inc.mitigated_at_ms, inc.resolved_at_ms, inc.closed_at_ms) == (
        T0 + 60_000, T0 + 120_000, T0 + 300_000, T0 + 900_000)
    assert [e.kind for e in inc.timeline] == ["opened", "acknowledged", "mitigated", "resolved", "closed"]
    assert inc.timeline[2].text == "rolled back"
    assert [type(e) for e in inc.pull_events()] == [ev.IncidentAcknowledged, ev.IncidentMitigated,
                                                    ev.IncidentResolved, ev.IncidentClosed]
    assert inc.version == 5 and not inc.is_active and inc.allowed_actions() == ()
    assert not inc.can("explode") and not new().can("close") and new().can("acknowledge")


@pytest.mark.parametrize("status,action", list(itertools.product(IncidentStatus, Action)))
def test_every_pair_outside_transitions_is_refused(status, action):
    inc = in_status(status)
    before = copy.deepcopy(inc)
    if (status, action) in TRANSITIONS:
        do(inc, action, T0 + 10_000)
        assert inc.status is TRANSITIONS[(status, action)]
        assert action in before.allowed_actions() and before.can(action)
    else:
        with pytest.raises(InvalidTransition) as e:
            do(inc, action, T0 + 10_000)
        assert (e.value.entity, e.value.state, e.value.event) == ("incident", status.value, action.value)
        assert inc == before and inc._pending == before._pending
        assert action not in inc.allowed_actions() and not inc.can(action)


def test_transitions_table_is_exactly_the_documented_one():
    assert {(s.value, a.value, t.value) for (s, a), t in TRANSITIONS.items()} == {
        ("triggered", "acknowledge", "acknowledged"), ("acknowledged", "mitigate", "mitigated"),
        ("mitigated", "resolve", "resolved"), ("resolved", "close", "closed"), ("resolved", "reopen", "triggered")}


def test_reopen_starts_a_new_cycle_and_keeps_first_ack():
    inc = in_status(IncidentStatus.RESOLVED)
    first_ack = inc.acknowledged_at_ms
    inc.reopen("carol", T0 + 50_000, "errors are back")
    assert inc.status is IncidentStatus.TRIGGERED and inc.opened_at_ms == T0
    assert inc.acknowledged_at_ms is inc.mitigated_at_ms is inc.resolved_at_ms is None
    assert inc.first_acknowledged_at_ms == first_ack and inc.reopen_count == 1
    assert inc.timeline[-1].kind == "reopened" and inc.timeline[-1].get("cycle") == "2"
    assert inc.pull_events()[-1] == ev.IncidentReopened(incident_id="inc-1", tenant="acme", at_ms=T0 + 50_000,
                                                       actor="carol", version=inc.version, reason="errors are back",
                                                       cycle=2)
    inc.acknowledge("carol", T0 + 60_000)
    assert inc.first_acknowledged_at_ms == first_ack and inc.acknowledged_at_ms == T0 + 60_000


def test_reopen_needs_a_reason():
    inc = in_status(IncidentStatus.RESOLVED)
    before = copy.deepcopy(inc)
    with pytest.raises(ValidationError) as e:
        inc.reopen("carol", T0 + 5000, "  ")
    assert e.value.field == "reason" and inc == before


def test_times_never_go_backwards():
    inc = new()
    inc.acknowledge("a", T0 - 5_000)  # clock skew: stamped at the last entry's time
    assert inc.acknowledged_at_ms == T0
    inc.add_note("a", "x", T0 + 10)
    inc.mitigate("a", T0 + 5)
    assert inc.mitigated_at_ms == T0 + 10


# ---------------------------------------------------- alerts, notes, severity

def test_attach_alert_is_idempotent():
    inc = new(alerts=["fp1"])
    inc.pull_events()
    assert inc.attach_alert("fp2", T0 + 1) is True
    before = copy.deepcopy(inc)
    assert inc.attach_alert("fp2", T0 + 2) is False
    assert inc.attach_alert("fp1", T0 + 3) is False
    assert inc == before and inc.alerts == ("fp1", "fp2")
    assert inc.pull_events() == [ev.AlertAttached(incident_id="inc-1", tenant="acme", at_ms=T0 + 1,
                                                  actor="system", version=2, fingerprint="fp2")]


def test_closed_incident_refuses_alerts_and_severity_but_takes_notes():
    inc = in_status(IncidentStatus.CLOSED)
    before = copy.deepcopy(inc)
    with pytest.raises(InvalidTransition):
        inc.attach_alert("fp9", T0 + 10_000)
    with pytest.raises(InvalidTransition):
        inc.change_severity("SEV1", "bob", T0 + 10_000)
    assert inc == before
    inc.add_note("bob", "postmortem: https://wiki/pm-1", T0 + 10_000)
    assert inc.timeline[-1].kind == "note" and inc.version == before.version + 1


def test_resolved_incident_still_takes_alerts():
    inc = in_status(IncidentStatus.RESOLVED)
    assert inc.attach_alert("late", T0 + 9000) and inc.status is IncidentStatus.RESOLVED


def test_change_severity():
    inc = new(severity="SEV3")
    inc.pull_events()
    assert inc.change_severity("critical", "alice", T0 + 5) is True
    assert inc.change_severity(Severity.SEV1, "alice", T0 + 6) is False
    assert inc.severity is Severity.SEV1
    assert inc.timeline[-1].data == (("from", "SEV3"), ("to", "SEV1"))
    assert inc.pull_events() == [ev.SeverityChanged(incident_id="inc-1", tenant="acme", at_ms=T0 + 5, actor="alice",
                                                    version=2, previous=Severity.SEV3, severity=Severity.SEV1)]
    with pytest.raises(ValidationError):
        inc.change_severity("nope", "alice", T0 + 7)


@pytest.mark.parametrize("call", [
    lambda i: i.add_note("a", "", T0), lambda i: i.add_note("", "x", T0), lambda i: i.acknowledge("", T0),
    lambda i: i.attach_alert("", T0), lambda i: i.acknowledge("a", 1.5), lambda i: i.add_note("a", "x", True),
])
def test_bad_input_is_refused_and_changes_nothing(call):
    inc = new()
    before = copy.deepcopy(inc)
    with pytest.raises(ValidationError):
        call(inc)
    assert inc == before and inc._pending == before._pending


# ------------------------------------------------------------ properties

OPS = ("acknowledge", "mitigate", "resolve", "close", "reopen", "attach", "note", "severity")
LIFECYCLE = {"acknowledge": Action.ACKNOWLEDGE, "mitigate": Action.MITIGATE, "resolve": Action.RESOLVE,
             "close": Action.CLOSE, "reopen": Action.REOPEN}
op_st = st.tuples(st.sampled_from(OPS), st.integers(0, 3_600_000), st.sampled_from(["fp1", "fp2", "fp3"]),
                  st.sampled_from(list(Severity)))


def apply(inc: Incident, op: str, at: int, fp: str, sev: Severity):
    if op == "attach":
        return inc.attach_alert(fp, at, actor="eve")
    if op == "note":
        return inc.add_note("eve", "looking", at)
    if op == "severity":
        return inc.change_severity(sev, "eve", at)
    return do(inc, LIFECYCLE[op], at)


def check_invariants(inc: Incident) -> None:
    s = inc.status
    assert s in IncidentStatus
    reached = {
        "ack": s in (IncidentStatus.ACKNOWLEDGED, IncidentStatus.MITIGATED, IncidentStatus.RESOLVED, IncidentStatus.CLOSED),
        "mit": s in (IncidentStatus.MITIGATED, IncidentStatus.RESOLVED, IncidentStatus.CLOSED),
        "res": s in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED),
        "clo": s is IncidentStatus.CLOSED,
    }
    stamps = {"ack": inc.acknowledged_at_ms, "mit": inc.mitigated_at_ms, "res": inc.resolved_at_ms, "clo": inc.closed_at_ms}
    for key, is_reached in reached.items():
        assert (stamps[key] is not None) == is_reached, (key, s)
    chain = [inc.opened_at_ms] + [v for v in stamps.values() if v is not None]
    assert chain == sorted(chain)
    if inc.acknowledged_at_ms is not None:
        assert inc.opened_at_ms <= inc.first_acknowledged_at_ms <= inc.acknowledged_at_ms
    assert len(set(inc.alerts)) == len(inc.alerts)
    times = [e.at_ms for e in inc.timeline]
    assert times == sorted(times)
    assert inc.version == len(inc.timeline)
    assert inc.is_active == (s in (IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED, IncidentStatus.MITIGATED))


@given(st.data())
def test_random_event_sequences_respect_the_lifecycle(data):
    """Half the steps pick a legal lifecycle move, so deep states (closed, reopened) are reached."""
    inc = new(alerts=["fp1"])
    now = T0
    check_invariants(inc)
    for _ in range(data.draw(st.integers(0, 30), label="steps")):
        op, delta, fp, sev = data.draw(op_st)
        if inc.allowed_actions() and data.draw(st.booleans(), label="legal"):
            op = data.draw(st.sampled_from(inc.allowed_actions())).value
        now += delta
        before = copy.deepcopy(inc)
        try:
            changed = apply(inc, op, now, fp, sev)
        except InvalidTransition:
            assert inc == before and inc._pending == before._pending
            if op in LIFECYCLE:
                assert (before.status, LIFECYCLE[op]) not in TRANSITIONS
            else:
                assert op in ("attach", "severity") and before.status is IncidentStatus.CLOSED
            continue
        if changed is False:  # an idempotent no-op
            assert inc == before and inc._pending == before._pending
            continue
        if op in LIFECYCLE:
            assert inc.status is TRANSITIONS[(before.status, LIFECYCLE[op])]
        else:
            assert inc.status is before.status
        assert inc.version == before.version + 1
        assert len(inc.timeline) == len(before.timeline) + 1 and inc.timeline[:-1] == before.timeline
        assert inc.timeline[-1].at_ms == now
        assert len(inc._pending) == len(before._pending) + 1
        new_event = inc._pending[-1]
        assert (new_event.incident_id, new_event.tenant, new_event.at_ms) == ("inc-1", "acme", now)
        assert new_event.version == inc.version
        entry = inc.timeline[-1]  # the timeline is the events' own account of the changes
        assert (entry.kind, entry.actor, entry.text, entry.data) == (
            new_event.entry, new_event.actor, new_event.entry_text(), new_event.entry_data())
        assert ev.from_dict(ev.to_dict(new_event)) == new_event
        check_invariants(inc)
    events = inc.pull_events()
    assert len(events) == inc.version and isinstance(events[0], ev.IncidentOpened)
    assert [e.version for e in events] == list(range(1, inc.version + 1))
    assert inc.pull_events() == []
