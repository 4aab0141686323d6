"""Each stage on its own: what it lets through, what it records, and why."""

from __future__ import annotations

from datetime import datetime, timezone

from adapters.memory.repositories import MemoryUnitOfWorkRunner
from domain.alerts.fingerprint import fingerprint
from domain.alerts.history import Outcome, Stage
from domain.alerts.silences import Recurrence, Silence
from domain.alerts.state import AlertState
from domain.metrics.matchers import parse_matchers
from services.pipeline.config import AlertingConfig, FixedAlertingConfigs
from services.pipeline.dedup import DedupStage
from services.pipeline.group import GroupStage
from services.pipeline.inhibit import InhibitStage
from services.pipeline.model import AlertEvent, AlertStore, Context, LiveAlert, Mute, PassKind
from services.pipeline.notify import NotifyStage
from services.pipeline.route import RouteStage
from services.pipeline.silence import SilenceStage
from tests.unit.services.pipeline.conftest import CONFIG, NOW_MS, TENANT, Harness, labels

CFG = AlertingConfig.from_dict(CONFIG)
CONFIGS = FixedAlertingConfigs(CFG)
DISK_A = labels(alertname="Disk", host="a", severity="warning", cluster="c1")
DISK_B = labels(alertname="Disk", host="b", severity="warning", cluster="c1")
DOWN = labels(alertname="ClusterDown", severity="critical", cluster="c1")


async def tick(stage: GroupStage, at_ms: int) -> Context:
    """A tick's pass through the group stage: the due groups flushed into ``ctx.notifications``."""
    ctx = Context(at_ms, PassKind.TICK)
    await stage.process(ctx, [])
    return ctx


def outcomes(ctx: Context) -> list[tuple[str, str]]:
    return [(d.stage.value, d.outcome.value) for d in ctx.decisions]


def event(h: Harness, ls, to=AlertState.FIRING, at=NOW_MS) -> AlertEvent:
    return AlertEvent.incoming(h.transition(ls, to, at), {"summary": "s"})


def live(ls, state=AlertState.FIRING) -> LiveAlert:
    return LiveAlert(TENANT, fingerprint(ls), ls, state)


async def test_dedup_drops_replays_and_ignores_pending(h: Harness):
    store = AlertStore()
    stage = DedupStage(store)
    ctx = Context(NOW_MS)
    first = event(h, DISK_A)
    [passed] = await stage.process(ctx, [first])
    assert passed.alert is store.get(TENANT, first.alert.fingerprint) and passed.alert.starts_at_ms == NOW_MS
    replay = AlertEvent.incoming(h.transition(DISK_A, AlertState.FIRING, NOW_MS), {})
    pending = AlertEvent.incoming(h.transition(DISK_B, AlertState.PENDING, NOW_MS), {})
    assert await stage.process(ctx, [replay, pending]) == []
    assert outcomes(ctx) == [("dedup", "duplicate"), ("dedup", "ignored")]
    [resolved] = await stage.process(ctx, [event(h, DISK_A, AlertState.RESOLVED, NOW_MS + 1)])
    assert resolved.alert.state is AlertState.RESOLVED


async def test_a_silence_mutes_with_its_reason_and_a_maintenance_window_only_inside_its_hours(h: Harness):
    uow = MemoryUnitOfWorkRunner()
    # 2027-01-15 is a Friday; the window: Fridays 08:00 for 2h, Berlin time (UTC+1 in January).
    friday_9_berlin = int(datetime(2027, 1, 15, 8, 0, tzinfo=timezone.utc).timestamp() * 1000)  # 09:00 in Berlin
    window = Silence(id="mw", tenant=TENANT, matchers=parse_matchers('host="a"'), starts_at_ms=friday_9_berlin - 86_400_000 * 30,
                     ends_at_ms=friday_9_berlin + 86_400_000 * 30, created_by="ops", comment="weekly patching",
                     recurrence=Recurrence("Europe/Berlin", frozenset({4}), "08:00", 2 * 3_600_000))
    await uow.run(lambda u: u.silences.add(window))
    stage = SilenceStage(uow)
    inside = Context(friday_9_berlin)
    [ev_a, ev_b] = await stage.process(inside, [event(h, DISK_A), event(h, DISK_B)])
    assert ev_a.mute is not None and ev_a.mute.key == "silence:mw" and ev_b.mute is None
    [d] = inside.decisions
    assert d.outcome is Outcome.SILENCED and "maintenance window mw" in d.reason and "Europe/Berlin" in d.reason
    outside = Context(friday_9_berlin + 2 * 3_600_000)  # 11:00 Berlin: the window closed
    [ev] = await stage.process(outside, [event(h, DISK_A)])
    assert ev.mute is None and outside.decisions == []


async def test_inhibition_names_the_rule_and_the_source_and_does_not_inhibit_itself():
    store = AlertStore()
    for ls in (DOWN, DISK_A):
        store.put(live(ls))
    stage = InhibitStage(store, CONFIGS)
    ctx = Context(NOW_MS)
    ev_a = AlertEvent(store.get(TENANT, live(DISK_A).fingerprint), AlertState.FIRING, NOW_MS)
    ev_down = AlertEvent(store.get(TENANT, live(DOWN).fingerprint), AlertState.FIRING, NOW_MS)
    other_cluster = AlertEvent(live(labels(alertname="Disk", host="z", severity="warning", cluster="c2")), AlertState.FIRING, NOW_MS)
    await stage.process(ctx, [ev_a, ev_down, other_cluster])
    assert ev_a.mute is not None and ev_a.mute.stage is Stage.INHIBIT
    assert "ClusterDown" in ev_a.mute.reason and "rule #0" in ev_a.mute.reason and ev_a.alert.mute == ev_a.mute
    assert ev_down.mute is None and other_cluster.mute is None
    assert outcomes(ctx) == [("inhibit", "inhibited")]
    bare = InhibitStage(store, FixedAlertingConfigs(AlertingConfig(CFG.route, CFG.receivers)))  # no inhibit rules
    ctx_none = Context(NOW_MS)
    await bare.load(ctx_none, [TENANT])
    assert bare.mute(ctx_none, TENANT, DISK_A) is None


async def test_routing_records_receiver_and_group_and_skips_muted():
    ctx = Context(NOW_MS)
    crit = AlertEvent(live(DOWN), AlertState.FIRING, NOW_MS)
    warn = AlertEvent(live(DISK_A), AlertState.FIRING, NOW_MS)
    muted = AlertEvent(live(DISK_B), AlertState.FIRING, NOW_MS, mute=Mute(Stage.SILENCE, "silence:x", "x"))
    await RouteStage(CONFIGS).process(ctx, [crit, warn, muted])
    assert [r.receiver for r in crit.routes] == ["pager"] and [r.receiver for r in warn.routes] == ["default"]
    assert muted.routes == []
    assert [(d.receiver, d.outcome.value) for d in ctx.decisions] == [("pager", "routed"), ("default", "routed")]
    assert ctx.decisions[0].group_key == crit.routes[0].group_key(DOWN)


async def test_grouping_waits_then_notifies_together_and_takes_muted_alerts_out():
    stage = GroupStage()
    route = CFG.route
    ctx = Context(NOW_MS)
    a, b = AlertEvent(live(DISK_A), AlertState.FIRING, NOW_MS), AlertEvent(live(DISK_B), AlertState.FIRING, NOW_MS)
    for ev in (a, b):
        ev.routes = route.match(ev.alert.labels)
    await stage.process(ctx, [a, b])
    assert len(stage) == 1 and all(d.outcome is Outcome.GROUPED for d in ctx.decisions)
    assert (await tick(stage, NOW_MS + 9_999)).notifications == []
    [(tenant, n)] = (await tick(stage, NOW_MS + 10_000)).notifications
    assert tenant == TENANT and n.receiver == "default" and len(n.firing) == 2
    # b gets muted: taken out without a resolution; the group carries on with a.
    b.mute = Mute(Stage.SILENCE, "silence:x", "x")
    ctx2 = Context(NOW_MS + 20_000)
    await stage.process(ctx2, [b])
    assert b.alert.groups == {} and outcomes(ctx2) == [("group", "grouped")]
    [(_, n2)] = (await tick(stage, NOW_MS + 10_000 + 3_600_000)).notifications  # the repeat
    assert [x.labels.get("host") for x in n2.firing] == ["a"] and n2.resolved == ()


async def test_notify_queues_one_task_per_channel_and_keeps_what_it_could_not_queue():
    class Broken:
        def __init__(self):
            self.down, self.queued = True, []

        def register(self, *a, **k):
            pass

        async def enqueue(self, name, payload, *, idempotency_key, delay_s=0.0):
            if self.down:
                raise ConnectionError("broker down")
            self.queued.append(idempotency_key)
            return True

    store = AlertStore()
    tasks = Broken()
    stage = NotifyStage(CONFIGS, store, tasks)
    group = GroupStage()
    ev = AlertEvent(live(DOWN), AlertState.FIRING, NOW_MS)
    store.put(ev.alert)
    ev.routes = CFG.route.match(DOWN)
    await group.process(Context(NOW_MS), [ev])
    ctx = await tick(group, NOW_MS + 10_000)
    await stage.process(ctx, [])
    [job] = ctx.jobs
    [delivery] = ctx.deliveries
    assert delivery.key == job.key and delivery.receiver == "pager" and delivery.channel_type == "webhook"
    assert job.payload["channel"] == "webhook-0" and "secret" not in str(job.payload)  # no secrets in the broker
    assert [(d.outcome.value, d.key) for d in ctx.decisions] == [("queued", job.key)]
    await stage.dispatch(ctx.jobs)
    assert stage.outbox == ctx.jobs and tasks.queued == []
    tasks.down = False
    await stage.dispatch([])
    assert tasks.queued == [job.key] and stage.outbox == []


async def test_notify_skips_resolved_only_notifications_for_channels_that_do_not_want_them():
    doc = {"route": {"receiver": "r", "group_wait": "0s"},
           "receivers": [{"name": "r", "log_configs": [{"send_resolved": False}]}, {"name": "nobody"}]}
    cfg = AlertingConfig.from_dict(doc)
    store, group = AlertStore(), GroupStage()
    stage = NotifyStage(FixedAlertingConfigs(cfg), store, None)  # type: ignore[arg-type]
    ev = AlertEvent(live(DISK_A), AlertState.FIRING, NOW_MS)
    ev.routes = cfg.route.match(DISK_A)
    await group.process(Context(NOW_MS), [ev])
    ctx = await tick(group, NOW_MS)
    await stage.process(ctx, [])
    assert len(ctx.jobs) == 1
    ev.alert.state = AlertState.RESOLVED
    resolved = AlertEvent(ev.alert, AlertState.RESOLVED, NOW_MS + 1, routes=cfg.route.match(DISK_A))
    await group.process(Context(NOW_MS + 1), [resolved])
    ctx2 = await tick(group, NOW_MS + 300_000)
    await stage.process(ctx2, [])
    assert ctx2.jobs == [] and outcomes(ctx2) == [("notify", "skipped")]
    assert "send_resolved is off" in ctx2.decisions[0].reason
