"""The services behind the incident workflow's activities, on in-memory adapters:
commands and snapshots, the projection, paging with idempotency keys, postmortem
drafts, maintenance windows, and the service routing actions through the engine."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.clock import FakeClock
from adapters.memory.notify import MemoryDeliveryLedger
from adapters.memory.oncall import MemoryOnCallDirectory
from adapters.memory.repositories import MemoryUnitOfWorkRunner
from adapters.memory.tasks import InProcessTaskQueue
from domain.errors import InvalidTransition, NotFound
from domain.incidents.escalation import EscalationLevel, EscalationPolicy, Target
from domain.incidents.incident import Incident, IncidentStatus, Severity
from domain.incidents.oncall import Layer, Override, Rotation, Schedule
from ports.notify import DeliveryResult, OutgoingNotification
from ports.repositories import INCIDENT_EVENTS, DeliveryQuery
from ports.workflows import EscalationState, IncidentChange, IncidentWorkflowState
from services.escalation import EscalationService, PageRequest, policy_from_dict, policy_to_dict, schedule_from_dict, schedule_to_dict
from services.incident_commands import Command, apply, check, events_to_data, restore, snapshot
from services.incident_projection import IncidentProjection, TimelineGap
from services.incidents import IncidentService
from services.maintenance import MaintenanceService
from services.notifications import NotificationService
from services.outbox import OutboxSignal
from services.pipeline.config import AlertingConfig, FixedAlertingConfigs
from services.postmortem import choose_owner, reminder_times
from tests.support.outbox import incident_relay

T0 = 1_800_000_000_000


def opened() -> Incident:
    return Incident.open("inc-1", "acme", "db down", "SEV2", T0, alerts=("fp-1",), dedup_key="grp")


def test_commands_apply_the_domain_rules_and_snapshots_round_trip() -> None:
    inc = opened()
    assert apply(inc, Command("attach_alert", "system", severity="SEV1", fingerprint="fp-2"), T0 + 1)
    assert inc.severity is Severity.SEV1 and inc.alerts == ("fp-1", "fp-2")
    assert not apply(inc, Command("attach_alert", "system", severity="SEV1", fingerprint="fp-2"), T0 + 2)
    with pytest.raises(InvalidTransition):
        check(inc, Command("resolve", "bob"), T0 + 3)
    assert inc.status is IncidentStatus.TRIGGERED  # check changed nothing
    apply(inc, Command("acknowledge", "bob"), T0 + 4)
    back = restore(snapshot(inc))
    assert snapshot(back) == snapshot(inc) and back.first_acknowledged_at_ms == T0 + 4
    assert Command.from_args("reopen", ["bob", "again"]) == Command("reopen", "bob", text="again")
    assert Command.from_args("attach_alert", ["fp", "SEV2"]).args() == ("fp", "SEV2", "system")


async def test_the_projection_only_moves_forward() -> None:
    uow = MemoryUnitOfWorkRunner()
    projection = IncidentProjection(uow)
    inc = opened()
    assert await projection.store(snapshot(inc))  # inserted
    old = snapshot(inc)
    apply(inc, Command("acknowledge", "bob"), T0 + 5)
    assert await projection.store(snapshot(inc))
    assert not await projection.store(old)  # a replayed, older snapshot
    assert not await projection.store(snapshot(inc))  # a retried one
    assert (await projection.load("acme", "inc-1"))["status"] == "acknowledged"


async def test_a_partial_snapshot_builds_on_the_stored_timeline_and_stores_its_events() -> None:
    uow = MemoryUnitOfWorkRunner()
    projection = IncidentProjection(uow)
    inc = opened()
    assert await projection.store(snapshot(inc), events_to_data(inc))
    apply(inc, Command("acknowledge", "bob"), T0 + 5)
    apply(inc, Command("add_note", "bob", text="on it"), T0 + 6)
    partial = snapshot(inc, timeline_from=1)
    assert [e["kind"] for e in partial["timeline"]] == ["acknowledged", "note"]  # only what the row lacks
    assert await projection.store(partial, events_to_data(inc))
    row = await uow.run(lambda u: u.incidents.get("acme", "inc-1"))
    assert [e.kind for e in row.timeline] == ["opened", "acknowledged", "note"] and row.version == 3
    kinds = [m.payload["kind"] for m in await uow.run(lambda u: u.outbox.pending(INCIDENT_EVENTS))]
    assert kinds == ["incident.opened", "incident.acknowledged", "incident.note_added"]
    with pytest.raises(TimelineGap):  # a repository that never saw the start: the workflow sends it whole
        await IncidentProjection(MemoryUnitOfWorkRunner()).store(partial)


class FlakyNotifier:
    def __init__(self, results: list[DeliveryResult]) -> None:
        self.results, self.calls = results, []

    def channels(self) -> frozenset[str]:
        return frozenset({"log"})

    async def send(self, n: OutgoingNotification) -> DeliveryResult:
        self.calls.append(n)
        return self.results.pop(0) if self.results else DeliveryResult(True)


async def test_paging_resolves_on_call_at_the_instant_and_sends_each_key_once() -> None:
    directory = MemoryOnCallDirectory()
    schedule = Schedule("primary", "acme", "P", "UTC", (Layer("l", Rotation(("ann",), 0, "09:00", "UTC", "weekly")),),
                        (Override("olga", T0 + 1000, T0 + 2000),))
    directory.add_schedule(schedule)
    policy = EscalationPolicy("p", "acme", "P", (EscalationLevel((Target.schedule("primary"), Target.user("bo")), 60_000),))
    directory.set_policy(policy)
    notifier = FlakyNotifier([DeliveryResult(False, 503, "down", retryable=True)])
    uow, tasks = MemoryUnitOfWorkRunner(), InProcessTaskQueue(base_backoff_s=0.001)
    notifications = NotificationService(uow, notifier, MemoryDeliveryLedger(), FixedAlertingConfigs(AlertingConfig.default()),
                                        FakeClock(T0), tasks, directory)
    escalation = EscalationService(directory, notifications)
    frozen = await escalation.freeze("acme", "SEV1")
    assert policy_from_dict(frozen["policy"]) == policy and schedule_from_dict(frozen["schedules"]["primary"]) == schedule
    req = PageRequest("acme", "inc-1", "db down", "SEV1", 0, 0, 0, policy_to_dict(policy)["levels"][0]["targets"],
                      frozen["schedules"], T0 + 1500, "inc-1/r0/s0")
    results = await escalation.page(req)
    assert [(r.user, r.status) for r in results] == [("olga", "queued"), ("bo", "queued")]  # the override at T0+1500
    await tasks.drain()  # the first send failed and was retried by the task queue, like any delivery
    again = await escalation.page(req)  # a retried activity: the keys are known sent
    assert [(r.delivered, r.status) for r in again] == [(True, "sent"), (True, "sent")]
    await tasks.drain()
    assert [n.idempotency_key for n in notifier.calls] == ["inc-1/r0/s0/t0", "inc-1/r0/s0/t1", "inc-1/r0/s0/t0"]
    audit = await notifications.deliveries("acme", DeliveryQuery(incident_id="inc-1"))
    assert sorted((d.recipient, d.status.value, len(d.attempts)) for d in audit) == [("bo", "sent", 1), ("olga", "sent", 2)]
    assert schedule_to_dict(schedule_from_dict(schedule_to_dict(schedule))) == schedule_to_dict(schedule)


async def test_a_tenant_without_a_policy_has_none_frozen() -> None:
    directory = MemoryOnCallDirectory()
    uow = MemoryUnitOfWorkRunner()
    notifications = NotificationService(uow, FlakyNotifier([]), MemoryDeliveryLedger(),
                                        FixedAlertingConfigs(AlertingConfig.default()), FakeClock(T0), InProcessTaskQueue(),
                                        directory)
    assert await EscalationService(directory, notifications).freeze("acme", "SEV1") == {"policy": None, "schedules": {}}


def test_postmortem_owner_and_reminders() -> None:
    inc = opened()
    apply(inc, Command("acknowledge", "ann"), T0 + 1)
    apply(inc, Command("mitigate", "bo"), T0 + 2)
    apply(inc, Command("resolve", "bo"), T0 + 3)
    assert choose_owner(snapshot(inc)) == "ann"
    apply(inc, Command("reopen", "cy", text="again"), T0 + 4)
    apply(inc, Command("acknowledge", "dee"), T0 + 5)
    assert choose_owner(snapshot(inc)) == "dee"  # the current cycle's responder
    assert reminder_times(100, 10, 5, 4) == [90, 100, 105, 110]


async def test_a_maintenance_occurrence_opens_once_and_closes() -> None:
    uow = MemoryUnitOfWorkRunner()
    svc = MaintenanceService(uow)
    sid = await svc.open_window("acme", "db", T0, T0 + 60_000, [{"name": "service", "value": "db"}], "ops", "patching")
    assert await svc.open_window("acme", "db", T0, T0 + 60_000, [{"name": "service", "value": "db"}], "ops", "x") == sid
    assert await svc.close_window("acme", sid, T0 + 1000)
    assert not await svc.close_window("acme", sid, T0 + 2000)


class FakeEngine:
    """Answers updates like a running workflow would (applies the change and stores it,
    as its persist activity does), or says none runs."""

    def __init__(self, uow: MemoryUnitOfWorkRunner, running: bool) -> None:
        self.uow, self.running, self.calls = uow, running, []

    async def start(self, *a: Any) -> bool:
        self.calls.append(("start", a[1]))
        return True

    async def update(self, wid: str, name: str, *args: Any, result_type: Any = None) -> Any:
        self.calls.append(("update", name, args))
        if not self.running:
            raise LookupError(wid)
        cmds = ([Command("attach_alert", args[2], severity=args[1], fingerprint=fp) for fp in args[0]]
                if name == "attach_alerts" else [Command.from_args(name, args)])

        def work(u: Any) -> IncidentChange:
            inc = u.incidents.get("acme", wid)
            for cmd in cmds:
                apply(inc, cmd, T0 + 10)
            u.incidents.save(inc)
            return IncidentChange(inc.id, inc.version, inc.status.value, inc.severity.value, True)

        return await self.uow.run(work)

    async def signal(self, *a: Any) -> None:
        self.calls.append(("signal",) + a)

    async def query(self, wid: str, name: str, *a: Any, result_type: Any = None) -> Any:
        if not self.running:
            raise LookupError(wid)
        return IncidentWorkflowState(wid, "acme", "triggered", "SEV2", 1, EscalationState(None, None))


def service(engine: FakeEngine, now: int = T0) -> tuple[IncidentService, Any]:
    signal = OutboxSignal()
    svc = IncidentService(engine.uow, engine, FakeClock(now), orchestrated=True, outbox=signal)
    return svc, incident_relay(engine.uow, FakeClock(now), engine, svc, signal)


async def test_an_orchestrated_service_sends_updates_and_never_writes_a_running_incidents_row() -> None:
    uow = MemoryUnitOfWorkRunner()
    await uow.run(lambda u: u.incidents.add(opened()))
    engine = FakeEngine(uow, running=True)
    svc, relay = service(engine)
    acked = await svc.acknowledge("acme", "inc-1", "ann")
    assert acked.status is IncidentStatus.ACKNOWLEDGED  # as the workflow stored it before answering
    attached, new = await svc.open_or_attach("acme", "grp", "fp-9", "x", Severity.SEV1, T0)
    assert not new and attached.alerts == ("fp-1",)  # the attach waits in the outbox: nobody waited on the engine
    with pytest.raises(NotFound):
        await svc.acknowledge("other-tenant", "inc-1", "ann")
    assert engine.calls == [("update", "acknowledge", ("ann",))]
    await relay.drain()
    assert engine.calls[1:] == [("update", "attach_alerts", (["fp-9"], "SEV1", "system"))]
    after = await svc.get("acme", "inc-1")
    assert after.alerts == ("fp-1", "fp-9") and after.severity is Severity.SEV1
    assert (await svc.workflow_state("acme", "inc-1")).status == "triggered"


async def test_without_a_running_workflow_the_service_writes_the_row() -> None:
    uow = MemoryUnitOfWorkRunner()
    await uow.run(lambda u: u.incidents.add(opened()))
    engine = FakeEngine(uow, running=False)
    svc, relay = service(engine, T0 + 20)
    noted = await svc.add_note("acme", "inc-1", "ann", "closed ticket")
    assert (await svc.get("acme", "inc-1")).timeline[-1].text == "closed ticket" == noted.timeline[-1].text
    assert await svc.workflow_state("acme", "inc-1") is None
    with pytest.raises(NotFound):
        await svc.escalate_now("acme", "inc-1", "ann")
    # an alert for it: the call fails on the missing workflow, so the row takes it and the workflow is started again
    await svc.open_or_attach("acme", "grp", "fp-7", "x", Severity.SEV3, T0 + 30)
    await relay.drain()
    assert (await svc.get("acme", "inc-1")).alerts == ("fp-1", "fp-7")
    assert ("start", "inc-1") in engine.calls


async def test_a_team_target_pages_every_member_with_a_key_each() -> None:
    directory = MemoryOnCallDirectory()
    directory.set_team("acme", "dba", ["cy", "ann"])
    directory.set_team("acme", "empty", [])
    notifier = FlakyNotifier([])
    uow, tasks = MemoryUnitOfWorkRunner(), InProcessTaskQueue()
    notifications = NotificationService(uow, notifier, MemoryDeliveryLedger(), FixedAlertingConfigs(AlertingConfig.default()),
                                        FakeClock(T0), tasks, directory)
    targets = [{"kind": "team", "ref": "dba"}, {"kind": "team", "ref": "empty"}, {"kind": "team", "ref": "gone"}]
    req = PageRequest("acme", "inc-1", "db down", "SEV1", 0, 0, 0, targets, {}, T0, "inc-1/r0/s0")
    results = await EscalationService(directory, notifications).page(req)
    assert [(r.target, r.user, r.key, r.detail or r.status) for r in results] == [
        ("team:dba", "ann", "inc-1/r0/s0/t0/ann", "queued"), ("team:dba", "cy", "inc-1/r0/s0/t0/cy", "queued"),
        ("team:empty", None, "inc-1/r0/s0/t1", "the team has no members"),
        ("team:gone", None, "inc-1/r0/s0/t2", "no such team")]
    await tasks.drain()
    assert sorted(n.target["user"] for n in notifier.calls) == ["ann", "cy"]
