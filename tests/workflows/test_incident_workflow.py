"""IncidentWorkflow on the time-skipping test server: escalation over hours of workflow
time in seconds, acknowledgement, on-call hand-offs, pause/resume, escalate-now,
reopen, continue-as-new, and responder actions through the engine adapter."""

from __future__ import annotations

import time

import pytest
from temporalio import activity

from domain.errors import InvalidTransition, ValidationError
from domain.incidents.incident import IncidentStatus
from services.escalation import PageRequest, PageResult
from tests.workflows import scenarios
from domain.incidents.escalation import Target
from ports.repositories import DeliveryQuery
from tests.workflows.harness import HOUR, MIN, TENANT, harness, simple_policy
from workflows.incident.activities import IncidentActivities

SLACK_MS = 10_000  # activities run in real time while the workflow clock is frozen


def offsets(pages: list[dict], opened_ms: int) -> list[int]:
    return [round((p["at_ms"] - opened_ms) / MIN) for p in pages]


async def test_a_full_escalation_over_hours_runs_in_seconds() -> None:
    real = time.monotonic()
    async with harness() as h:
        out = await scenarios.full_escalation(h)
        pages = await h.pages(out.incident_id)
        state = await h.state(out.incident_id)
    assert [p["user"] for p in pages] == ["alice", "bob", "carol"] * 2
    assert offsets(pages, out.opened_ms) == [0, 30, 60, 120, 150, 180]
    assert state["escalation"]["exhausted"] and not state["escalation"]["active"]
    assert [n.target["user"] for n in h.notifier.calls] == ["alice", "bob", "carol"] * 2
    assert len(set(h.notifier.keys())) == 6  # one key per step and target
    assert pages[1]["target"] == "schedule:primary"
    assert time.monotonic() - real < 30


async def test_acknowledgement_stops_the_escalation() -> None:
    async with harness() as h:
        out = await scenarios.acknowledged(h)
        pages = await h.pages(out.incident_id)
        state = await h.state(out.incident_id)
        row = await h.row(out.incident_id)
    assert out.extra["acked"].status is IncidentStatus.ACKNOWLEDGED
    assert [p["user"] for p in pages] == ["alice", "bob"]
    assert len(h.notifier.calls) == 2
    assert state["status"] == "acknowledged" and not state["escalation"]["active"]
    # The repository row is the read model: the workflow's persist activity wrote it.
    assert row.status is IncidentStatus.ACKNOWLEDGED and row.acknowledged_at_ms is not None
    assert row.version == state["version"]


async def test_an_on_call_handoff_mid_escalation_pages_the_new_person() -> None:
    async with harness() as h:
        out = await scenarios.handoff(h)
        pages = await h.pages(out.incident_id)
    schedule, handoff_ms = out.extra["schedule"], out.extra["handoff_ms"]
    assert [p["user"] for p in pages] == ["alice", "alice", "bob", "carol"]
    assert pages[1]["at_ms"] < handoff_ms <= pages[2]["at_ms"]
    # The same answers as the domain's own resolution at each page's instant.
    assert [schedule.on_call_at(p["at_ms"]) for p in pages] == ["alice", "alice", "bob", "carol"]


async def test_a_paused_escalation_resumes_where_it_was() -> None:
    async with harness() as h:
        out = await scenarios.paused_and_resumed(h)
        pages = await h.pages(out.incident_id)
    paused = out.extra["paused"]["escalation"]
    assert paused["paused"] and abs(paused["remaining_ms"] - 20 * MIN) < SLACK_MS
    assert [p["user"] for p in out.extra["before"]] == ["alice"]  # 19 of the 20 minutes left: still waiting
    assert [p["user"] for p in pages] == ["alice", "bob"]
    assert offsets(pages, out.opened_ms)[1] == 150  # 10 min + 2 h paused + the 20 min left


async def test_escalate_now_reopen_and_rounds() -> None:
    async with harness() as h:
        out = await scenarios.escalated_now_and_reopened(h)
        pages = await h.pages(out.incident_id)
        state = await h.state(out.incident_id)
        with pytest.raises(InvalidTransition):
            await h.incidents.mitigate(TENANT, out.incident_id, "carol")  # triggered: acknowledge first
    assert [(p["round"], p["user"]) for p in pages] == [(0, "alice"), (0, "bob"), (1, "alice"), (1, "bob")]
    keys = [p["key"] for p in pages]
    assert len(set(keys)) == 4 and all("/r1/" in k for k in keys[2:])
    assert [n.idempotency_key for n in h.notifier.calls if "/r" in n.idempotency_key] == keys
    assert state["status"] == "triggered" and state["escalation"]["round"] == 1
    assert state["postmortem"]["status"] == "cancelled"  # the reopen cancelled the draft


async def test_refused_updates_raise_domain_errors_and_change_nothing() -> None:
    async with harness() as h:
        scenarios.three_levels(h)
        incident = await h.open_incident()
        await h.sleep(MIN)
        await h.incidents.acknowledge(TENANT, incident.id, "alice")
        with pytest.raises(InvalidTransition):
            await h.incidents.acknowledge(TENANT, incident.id, "alice")
        with pytest.raises(ValidationError) as bad:
            await h.incidents.change_severity(TENANT, incident.id, "alice", "SEV9")
        assert bad.value.field == "severity"
        note = await h.incidents.add_note(TENANT, incident.id, "alice", "looking")
        state = await h.state(incident.id)
        timeline = await h.engine.query(incident.id, "timeline")
    assert note.timeline[-1].text == "looking" and state["version"] == note.version
    assert [e["kind"] for e in timeline if e["kind"] in ("opened", "acknowledged", "note", "paged")] == [
        "opened", "paged", "acknowledged", "note"]


async def test_actions_arrive_as_signals_too() -> None:
    async with harness() as h:
        scenarios.three_levels(h)
        incident = await h.open_incident()
        await h.engine.signal(incident.id, "acknowledge", "alice")
        await h.engine.signal(incident.id, "resolve", "alice", "too early")  # refused: not mitigated
        await h.sleep(MIN)
        state = await h.state(incident.id)
        timeline = await h.engine.query(incident.id, "timeline")
    assert state["status"] == "acknowledged"
    assert any(e["kind"] == "signal_refused" and "resolve" in e["text"] for e in timeline)


async def test_continue_as_new_carries_the_escalation_on() -> None:
    async with harness() as h:
        out = await scenarios.continued_as_new(h)
        state = await h.state(out.incident_id)
    steps = [p["step"] for p in state["pages"]]
    assert state["continued_as_new"] >= 2
    assert steps == list(range(steps[0], steps[0] + len(steps)))  # no step skipped or repeated
    assert len(h.notifier.calls) == 25 and len(set(h.notifier.keys())) == 25  # 0..120 min every 5 min
    assert state["status"] == "acknowledged"


class LosesCompletionOnce(IncidentActivities):
    """Pages, then fails as if the worker died before reporting completion."""

    @activity.defn(name="incident.page")
    async def page(self, req: PageRequest) -> list[PageResult]:
        result = await super().page(req)
        if activity.info().attempt == 1:
            raise RuntimeError("worker died after sending")
        return result


async def test_a_page_retried_after_sending_is_not_sent_twice() -> None:
    async with harness(LosesCompletionOnce) as h:
        scenarios.three_levels(h)
        incident = await h.open_incident()
        await h.sleep(45 * MIN)
        pages = await h.pages(incident.id)
        audit = await h.notifications.deliveries(TENANT, DeliveryQuery(incident_id=incident.id))
    assert [p["user"] for p in pages] == ["alice", "bob"]
    assert {p["status"] for p in pages} <= {"queued", "sent"}  # the retry queued the same keys again: a no-op
    assert [n.target["user"] for n in h.notifier.calls] == ["alice", "bob"]
    assert sorted((d.recipient, [a.outcome.value for a in d.attempts]) for d in audit) == [
        ("alice", ["sent"]), ("bob", ["sent"])]


async def test_the_policy_is_frozen_when_the_incident_opens() -> None:
    async with harness() as h:
        scenarios.three_levels(h)
        incident = await h.open_incident()
        await h.sleep(MIN)
        h.directory.set_policy(simple_policy(([Target.user("mallory")], 5 * MIN), repeat=10))  # edited later
        await h.sleep(HOUR)
        pages = await h.pages(incident.id)
    assert [p["user"] for p in pages] == ["alice", "bob", "carol"]


async def test_an_alert_storm_reaches_the_workflow_in_a_few_updates() -> None:
    async with harness() as h:
        out = await scenarios.alert_storm(h)
        row = await h.row(out.incident_id)
        state = await h.state(out.incident_id)
        history = await h.client.get_workflow_handle(out.incident_id).fetch_history()
    updates = [e for e in history.events if e.HasField("workflow_execution_update_accepted_event_attributes")]
    assert len(row.alerts) == 300 and row.severity.value == "SEV1" and row.status is IncidentStatus.ACKNOWLEDGED
    assert state["version"] == row.version and len(updates) <= 3  # attach_alerts (one per relay pass) and acknowledge
    size = sum(e.ByteSize() for e in history.events)
    assert size < 300_000, f"the history grows with the alerts, not with alerts x timeline: {size} bytes"


async def test_without_a_policy_the_incident_says_so_and_pages_nobody() -> None:
    async with harness() as h:
        out = await scenarios.no_policy(h)
        timeline = await h.engine.query(out.incident_id, "timeline")
    escalation = out.extra["state"]["escalation"]
    assert escalation["policy"] is None and not escalation["active"] and "no escalation policy" in escalation["reason"]
    assert out.extra["state"]["pages"] == [] and h.notifier.calls == []
    assert any(e["kind"] == "escalation_frozen" and "nobody is paged" in e["text"] for e in timeline)
