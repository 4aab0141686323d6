"""Incident scenarios shared by the tests (which assert on them) and by
``record_histories.py`` (which saves their histories for the replay tests).

Each returns what the test needs to look at, and ``workflow_ids``: the workflows whose
histories are worth keeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.incidents.escalation import Target
from domain.incidents.incident import Incident, Severity
from domain.incidents.oncall import Layer, Override, Rotation, Schedule
from ports.workflows import INCIDENT_WORKFLOW
from services.incident_calls import AlertChange
from services.incident_commands import snapshot
from tests.workflows.harness import HOUR, MIN, TENANT, Harness, simple_policy
from workflows.incident.types import IncidentSettings


@dataclass
class Outcome:
    incident_id: str
    opened_ms: int
    workflow_ids: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def three_levels(h: Harness, repeat: int = 1) -> None:
    """alice (30 min) -> whoever the "primary" schedule has (bob) (30 min) -> carol (1 h)."""
    h.directory.add_schedule(Schedule("primary", TENANT, "Primary", "UTC",
                                      (Layer("main", Rotation(("bob",), 0, "09:00", "UTC", "weekly")),)))
    h.directory.set_policy(simple_policy(([Target.user("alice")], 30 * MIN), ([Target.schedule("primary")], 30 * MIN),
                                         ([Target.user("carol")], HOUR), repeat=repeat))


async def full_escalation(h: Harness) -> Outcome:
    three_levels(h)
    incident = await h.open_incident()
    await h.sleep(5 * HOUR)
    return Outcome(incident.id, incident.opened_at_ms, [incident.id])


async def acknowledged(h: Harness) -> Outcome:
    three_levels(h)
    incident = await h.open_incident()
    await h.sleep(35 * MIN)
    acked = await h.incidents.acknowledge(TENANT, incident.id, "alice")
    await h.sleep(5 * HOUR)
    return Outcome(incident.id, incident.opened_at_ms, [incident.id], {"acked": acked})


def handoff_schedule(t0: int, tz: str = "America/New_York") -> tuple[Schedule, int]:
    """alice hands off to bob at a local wall-clock minute about 40 minutes after t0
    (daily rotation in ``tz``); carol overrides from t0+80 min to t0+3 h."""
    at = datetime.fromtimestamp((t0 + 40 * MIN) / 1000, ZoneInfo(tz))
    at = (at + timedelta(minutes=1)).replace(second=0, microsecond=0)
    handoff_ms = int(at.timestamp() * 1000)
    rotation = Rotation(("alice", "bob"), handoff_ms - 24 * HOUR, at.strftime("%H:%M"), tz, "daily")
    return Schedule("primary", TENANT, "Primary", tz, (Layer("main", rotation),),
                    (Override("carol", t0 + 80 * MIN, t0 + 3 * HOUR),)), handoff_ms


async def handoff(h: Harness) -> Outcome:
    t0 = await h.now_ms()
    schedule, handoff_ms = handoff_schedule(t0)
    h.directory.add_schedule(schedule)
    h.directory.set_policy(simple_policy(([Target.schedule("primary")], 30 * MIN), repeat=3))
    incident = await h.open_incident()
    await h.sleep(2 * HOUR)
    return Outcome(incident.id, incident.opened_at_ms, [incident.id], {"handoff_ms": handoff_ms, "schedule": schedule})


async def paused_and_resumed(h: Harness) -> Outcome:
    three_levels(h, repeat=0)
    incident = await h.open_incident()
    await h.sleep(10 * MIN)
    await h.engine.signal(incident.id, "pause_escalation", "alice")
    await h.sleep(2 * HOUR)
    paused = await h.state(incident.id)
    await h.engine.signal(incident.id, "resume_escalation", "alice")
    await h.sleep(19 * MIN)
    before = await h.pages(incident.id)
    await h.sleep(2 * MIN)
    return Outcome(incident.id, incident.opened_at_ms, [incident.id], {"paused": paused, "before": before})


async def escalated_now_and_reopened(h: Harness) -> Outcome:
    three_levels(h, repeat=0)
    incident = await h.open_incident()
    await h.sleep(MIN)
    await h.incidents.escalate_now(TENANT, incident.id, "alice")
    await h.sleep(MIN)
    await h.incidents.acknowledge(TENANT, incident.id, "bob")
    await h.incidents.mitigate(TENANT, incident.id, "bob", "rolled back")
    await h.incidents.resolve(TENANT, incident.id, "bob", "fixed")
    await h.sleep(MIN)
    await h.incidents.reopen(TENANT, incident.id, "carol", "it is back")
    await h.sleep(31 * MIN)
    return Outcome(incident.id, incident.opened_at_ms, [incident.id, f"{incident.id}.postmortem.0"])


async def continued_as_new(h: Harness) -> Outcome:
    h.directory.set_policy(simple_policy(([Target.user("alice")], 5 * MIN), repeat=30))
    at = await h.now_ms()
    h.clock.set(at)
    incident = Incident.open("inc-long", TENANT, "slow burn", "SEV2", at)
    await h.uow.run(lambda uow: uow.incidents.add(incident))
    await h.engine.start(INCIDENT_WORKFLOW, incident.id, TENANT, incident.id, snapshot(incident), None,
                         IncidentSettings(history_limit=40))
    await h.sleep(2 * HOUR + 150_000)  # pages at 0, 5, ..., 120 min
    await h.incidents.acknowledge(TENANT, incident.id, "alice")
    return Outcome(incident.id, at, [incident.id])


async def alert_storm(h: Harness) -> Outcome:
    """300 alerts of one rule: the first batch opens the incident holding them, the next
    ones reach its workflow as ``attach_alerts`` updates (one per relay pass), the most
    severe raising the incident's severity; then it is acknowledged."""
    three_levels(h)
    at = await h.now_ms()
    h.clock.set(at)
    first = [AlertChange(TENANT, "rule:storm", f"fp-{i}", True, at, "storm", Severity.SEV3) for i in range(100)]
    [opened, *_] = await h.incidents.take_alerts(first)
    await h.relay.drain()
    await h.sleep(MIN)
    later = [AlertChange(TENANT, "rule:storm", f"fp-{i}", True, at, "storm", Severity.SEV1 if i == 250 else Severity.SEV3)
             for i in range(100, 300)]
    await h.incidents.take_alerts(later)
    await h.relay.drain()
    await h.incidents.acknowledge(TENANT, opened.incident_id, "alice")
    await h.sleep(MIN)
    return Outcome(opened.incident_id, at, [opened.incident_id])


async def no_policy(h: Harness) -> Outcome:
    """A tenant without an escalation policy: the incident says so and pages nobody."""
    incident = await h.open_incident(severity="SEV2")
    await h.sleep(2 * HOUR)
    state = await h.state(incident.id)
    await h.incidents.acknowledge(TENANT, incident.id, "dee")
    return Outcome(incident.id, incident.opened_at_ms, [incident.id], {"state": state})
