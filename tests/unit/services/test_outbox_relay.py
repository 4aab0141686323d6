"""The outbox relay and its two handlers on in-memory adapters: messages handled in
order per key, failures retried with backoff, the incident workflow calls (coalesced,
redirected, repaired) and the incident live feed; and the pipeline, which never waits
on the workflow engine."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import pytest

from adapters.memory.cache import MemoryPubSub
from adapters.memory.repositories import MemoryUnitOfWorkRunner
from adapters.memory.workflows import InProcessWorkflowEngine
from domain.errors import InvalidTransition
from domain.incidents.incident import Incident, IncidentStatus, Severity
from ports.repositories import INCIDENT_EVENTS, OutboxMessage
from ports.workflows import IncidentChange, IncidentWorkflowState, WorkflowUnavailable
from services.incident_calls import INCIDENT_CALLS, AlertChange
from services.incident_commands import Command, apply
from services.incidents import IncidentService
from services.outbox import Handled, OutboxRelay, OutboxSignal, RelayPolicy
from services.streaming import incidents_channel
from tests.support.clock import FakeClock
from tests.support.outbox import incident_relay
from tests.unit.services.conftest import System

T0 = 1_800_000_000_000


class Recorder:
    topic = "t"

    def __init__(self, fail: set[str] | None = None) -> None:
        self.seen: list[str] = []
        self.fail = fail or set()

    async def handle(self, messages: Sequence[OutboxMessage]) -> Handled:
        out, stuck = Handled(), set()
        for m in messages:
            if m.key in stuck:
                continue
            self.seen.append(m.dedup)
            if m.dedup in self.fail:
                out.failed[m.id] = "nope"
                stuck.add(m.key)
            else:
                out.done.append(m.id)
        return out


def msg(key: str, dedup: str) -> OutboxMessage:
    return OutboxMessage("t", "acme", key, dedup, {}, T0)


async def test_a_failed_message_is_retried_with_backoff_and_holds_its_key_back() -> None:
    uow, clock, handler = MemoryUnitOfWorkRunner(), FakeClock(T0), Recorder(fail={"a1"})
    relay = OutboxRelay(uow, clock, [handler], policy=RelayPolicy(backoff_s=1.0))
    await uow.run(lambda u: u.outbox.add([msg("a", "a1"), msg("a", "a2"), msg("b", "b1")]))
    assert await relay.drain() == 1
    assert handler.seen == ["a1", "b1"]  # a2 waits behind a1
    [left_a1, left_a2] = await uow.run(lambda u: u.outbox.pending("t"))
    assert (left_a1.dedup, left_a1.attempts, left_a1.last_error, left_a1.not_before_ms) == ("a1", 1, "nope", T0 + 1000)
    clock.advance(999)
    assert await relay.drain() == 0  # not due yet
    handler.fail.clear()
    clock.advance(1)
    assert await relay.drain() == 2
    assert handler.seen == ["a1", "b1", "a1", "a2"] and await uow.run(lambda u: u.outbox.pending("t")) == []


async def test_run_is_woken_by_the_signal_and_stops() -> None:
    uow, signal, handler = MemoryUnitOfWorkRunner(), OutboxSignal(), Recorder()
    relay = OutboxRelay(uow, FakeClock(T0), [handler], signal, RelayPolicy(poll_s=60))
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    await asyncio.sleep(0)
    await uow.run(lambda u: u.outbox.add([msg("a", "a1")]))
    signal.wake()
    for _ in range(100):
        if handler.seen:
            break
        await asyncio.sleep(0.01)
    stop.set()
    signal.wake()
    await asyncio.wait_for(task, 5)
    assert handler.seen == ["a1"]


# ------------------------------------------------------------ the incident workflow calls


class Engine(InProcessWorkflowEngine):
    """A running incident workflow, in short: updates apply the commands to the stored
    row (as the workflow and its persist activity do) and are counted."""

    def __init__(self, uow: MemoryUnitOfWorkRunner) -> None:
        super().__init__()
        self.uow, self.updates, self.gone, self.closed = uow, [], False, False

    async def update(self, wid: str, name: str, *args: Any, result_type: Any = None) -> Any:
        self.updates.append((name, args))
        if self.gone:
            raise LookupError(wid)
        if self.closed:
            raise InvalidTransition("incident", "closed", name)
        cmds = [Command("attach_alert", args[2], severity=args[1], fingerprint=fp) for fp in args[0]] \
            if name == "attach_alerts" else [Command.from_args(name, args)]

        def work(u: Any) -> IncidentChange:
            inc = u.incidents.get("acme", wid)
            for c in cmds:
                apply(inc, c, T0)
            u.incidents.save(inc)
            return IncidentChange(inc.id, inc.version, inc.status.value, inc.severity.value, True)

        return await self.uow.run(work)


def alert(i: int, firing: bool = True, severity: Severity = Severity.SEV3) -> AlertChange:
    return AlertChange("acme", "rule:r1:Disk", f"fp-{i}", firing, T0 + i, "disk full", severity)


def orchestrated() -> tuple[IncidentService, OutboxRelay, Engine, MemoryUnitOfWorkRunner, MemoryPubSub]:
    uow, clock, signal, pubsub = MemoryUnitOfWorkRunner(), FakeClock(T0), OutboxSignal(), MemoryPubSub()
    engine = Engine(uow)
    svc = IncidentService(uow, engine, clock, orchestrated=True, outbox=signal)
    return svc, incident_relay(uow, clock, engine, svc, signal, pubsub), engine, uow, pubsub


async def test_a_storm_opens_one_incident_with_its_batch_and_later_alerts_become_one_update() -> None:
    svc, relay, engine, uow, _ = orchestrated()
    outcomes = await svc.take_alerts([alert(i) for i in range(500)])
    assert [o.opened for o in outcomes] == [True] + [False] * 499 and len({o.incident_id for o in outcomes}) == 1
    [incident] = await svc.list("acme")
    assert len(incident.alerts) == 500 and incident.version == 1  # one change, not 500
    await svc.take_alerts([alert(i, severity=Severity.SEV1 if i == 700 else Severity.SEV3) for i in range(500, 1000)])
    await svc.take_alerts([alert(3)])  # a replay: already attached, nothing queued
    assert len(await uow.run(lambda u: u.outbox.pending(INCIDENT_CALLS, 10_000))) == 501  # start + 500 attaches
    await relay.drain()
    # the relay claims 500 messages a pass: the start and 499 attaches, then the last one
    assert [(name, len(args[0]), args[1]) for name, args in engine.updates] == [
        ("attach_alerts", 499, "SEV1"), ("attach_alerts", 1, "SEV3")]
    stored = await svc.get("acme", incident.id)
    assert len(stored.alerts) == 1000 and stored.severity is Severity.SEV1
    assert [r.workflow_id for r in await engine.runs()] == [incident.id]


async def test_resolutions_are_noted_only_for_alerts_the_incident_holds_or_will() -> None:
    svc, relay, engine, _, _ = orchestrated()
    await svc.take_alerts([alert(1)])
    await relay.drain()
    await svc.take_alerts([alert(2)])  # attach queued, not delivered yet
    outcomes = await svc.take_alerts([alert(2, firing=False), alert(9, firing=False)])
    assert [(o.incident_id is not None, o.queued) for o in outcomes] == [(True, True), (False, False)]
    await relay.drain()
    assert [name for name, _ in engine.updates] == ["attach_alerts", "add_note"]
    [incident] = await svc.list("acme")
    assert incident.timeline[-1].text == "alert fp-2 resolved"


async def test_alerts_for_an_incident_closed_meanwhile_open_a_new_one() -> None:
    svc, relay, engine, uow, _ = orchestrated()
    [first] = await svc.take_alerts([alert(1)])
    await relay.drain()
    await svc.take_alerts([alert(2)])
    engine.closed = True  # the workflow refuses: it closed the incident

    def close(u: Any) -> None:
        inc = u.incidents.get("acme", first.incident_id)
        for c in (Command("acknowledge", "a"), Command("mitigate", "a"), Command("resolve", "a"), Command("close", "a")):
            apply(inc, c, T0 + 100)
        u.incidents.save(inc)

    await uow.run(close)
    await relay.drain()
    incidents = await svc.list("acme")
    assert len(incidents) == 2
    new = next(i for i in incidents if i.id != first.incident_id)
    assert new.alerts == ("fp-2",) and new.status is IncidentStatus.TRIGGERED
    assert {r.workflow_id for r in await engine.runs()} == {first.incident_id, new.id}


async def test_an_open_incident_whose_workflow_is_gone_takes_the_alerts_and_is_restarted() -> None:
    svc, relay, engine, _, _ = orchestrated()
    [first] = await svc.take_alerts([alert(1)])
    await relay.drain()
    engine.gone = True
    engine._runs.clear()  # failed or terminated: it may be started again
    await svc.take_alerts([alert(2)])
    await relay.drain()
    assert (await svc.get("acme", first.incident_id)).alerts == ("fp-1", "fp-2")
    [run] = await engine.runs()
    assert run.workflow_id == first.incident_id and run.args[2]["alerts"] == ["fp-1", "fp-2"]  # restarted from the row


async def test_an_unreachable_engine_keeps_the_calls_for_later() -> None:
    svc, relay, engine, uow, _ = orchestrated()

    async def down(*a: Any, **k: Any) -> bool:
        raise ConnectionError("engine unavailable")

    engine.start = down  # type: ignore[method-assign]
    await svc.take_alerts([alert(1)])
    assert await relay.drain(topics=[INCIDENT_CALLS]) == 0
    [call] = [m for m in await uow.run(lambda u: u.outbox.pending(INCIDENT_CALLS))]
    assert call.attempts == 1 and "engine unavailable" in call.last_error


# ------------------------------------------------------------------ the live feed


async def test_the_live_feed_tells_every_stored_change_in_order_from_the_events() -> None:
    svc, relay, _, _, pubsub = orchestrated()
    updates = pubsub.subscribe([incidents_channel("acme")])
    [first] = await svc.take_alerts([alert(1)])
    await relay.drain()
    await svc.apply_to_row("acme", first.incident_id, Command("acknowledge", "ann"), at_ms=T0 + 5)
    await relay.drain()
    got = []
    async for _, payload in updates:
        got.append(json.loads(payload))
        if len(got) == 2:
            break
    assert [(d["change"], d["event"]["kind"], d["event"]["version"]) for d in got] == [
        ("opened", "incident.opened", 1), ("acknowledged", "incident.acknowledged", 2)]
    assert got[1]["event"]["actor"] == "ann" and got[1]["incident"]["status"] == "acknowledged"


async def test_a_failed_publish_is_retried_and_nothing_after_it_overtakes_it() -> None:
    svc, relay, _, uow, pubsub = orchestrated()
    real = pubsub.publish
    pubsub.publish = _broken  # type: ignore[method-assign]
    [first] = await svc.take_alerts([alert(1)])
    await svc.apply_to_row("acme", first.incident_id, Command("add_note", "ann", text="hi"))
    await relay.drain(topics=[INCIDENT_EVENTS])
    left = await uow.run(lambda u: u.outbox.pending(INCIDENT_EVENTS))
    assert [(m.payload["kind"], m.attempts) for m in left] == [("incident.opened", 1), ("incident.note_added", 0)]
    pubsub.publish = real  # type: ignore[method-assign]


async def _broken(channel: str, payload: bytes) -> None:
    raise ConnectionError("redis went away")


# ----------------------------------------------------------- the in-process engine


async def test_the_in_process_engine_answers_in_the_workflows_shapes_or_refuses() -> None:
    engine = InProcessWorkflowEngine()
    incident = Incident.open("inc-1", "acme", "db down", "SEV2", T0)
    from services.incident_commands import snapshot

    await engine.start("IncidentWorkflow", "inc-1", "acme", "inc-1", snapshot(incident))
    await engine.signal("inc-1", "acknowledge", "ann")
    state = await engine.query("inc-1", "state", result_type=IncidentWorkflowState)
    assert isinstance(state, IncidentWorkflowState)
    assert (state.status, state.severity, state.version, state.engine) == ("acknowledged", "SEV2", 2, "memory")
    assert state.escalation.policy is None and not state.escalation.active and "memory" in state.escalation.reason
    assert await engine.query("inc-1", "status") == "acknowledged"
    for call in (engine.update("inc-1", "escalate_now", "ann"), engine.signal("inc-1", "pause_escalation", "ann"),
                 engine.query("inc-1", "postmortem")):
        with pytest.raises(WorkflowUnavailable, match="OBSERVER_WORKFLOWS=memory"):
            await call


# ---------------------------------------------------- the pipeline never waits on the engine


async def test_the_pipeline_moves_while_the_engine_hangs(system: System) -> None:
    hung = asyncio.Event()

    async def hang(*a: Any, **k: Any) -> Any:
        await hung.wait()

    system.workflows.start = hang  # type: ignore[method-assign]
    system.incidents._orchestrated = True  # the workflow owns the incidents: every alert makes an engine call
    from domain.alerts.state import AlertState, AlertTransition
    from domain.metrics.labels import LabelSet

    for i in range(50):
        ls = LabelSet.of({"alertname": "Disk", "host": f"h{i}"})
        t = AlertTransition(f"fp{i}", AlertState.PENDING, AlertState.FIRING, T0 + i, ls, 1.0, "t1", "r1")
        await asyncio.wait_for(system.pipeline.process(t, {"summary": "disk"}), 5)  # never waits on the engine
    [incident] = await system.incidents.list("t1")
    assert len(incident.alerts) == 1  # the others wait in the outbox for the engine
    pending = await system.uow.run(lambda u: u.outbox.pending(INCIDENT_CALLS, 100))
    assert [m.payload["op"] for m in pending] == ["start"] + ["attach"] * 49
