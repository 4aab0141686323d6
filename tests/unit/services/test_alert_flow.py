"""Evaluator and pipeline on in-memory adapters: rules fire by Prometheus' semantics,
replays change nothing, silences mute, and state survives a restart."""

from __future__ import annotations

from domain.alerts.rules import AbsenceRule, Comparison, ThresholdRule
from domain.alerts.silences import Silence
from domain.metrics.aggregations import Aggregation
from domain.metrics.labels import LabelSet
from domain.metrics.matchers import Matcher
from domain.metrics.query import Selector
from ports.bus import ALERTS_TOPIC
from tests.unit.services.conftest import NOW_MS, System, make_system


def high_cpu(for_ms: int = 10_000, rule_id: str = "r1") -> ThresholdRule:
    return ThresholdRule(
        id=rule_id, tenant="t1", name="HighCPU", selector=Selector.parse('cpu{env="prod"}'), for_ms=for_ms,
        labels=LabelSet.of({"severity": "warning"}), annotations=(("summary", "cpu {{ $value }} on {{ $labels.host }}"),),
        aggregation=Aggregation.AVG, window_ms=20_000, comparison=Comparison.GT, threshold=0.8,
    )


def ramp(start: int, values: list[float], every_ms: int = 5_000) -> list[tuple[int, float]]:
    return [(start + i * every_ms, v) for i, v in enumerate(values)]


async def alert_states(system: System) -> list[str]:
    return [a.state.value for a in await system.alerts.alerts("t1")]


async def test_threshold_rule_waits_for_its_for_then_opens_one_incident(system: System) -> None:
    await system.alerts.add_rule(high_cpu())
    t0 = NOW_MS - 60_000
    # avg over 20s: 0.5, 0.75, 0.83 → pending at t0+10s; still > 0.8 at t0+20s → firing.
    await system.send("cpu", {"env": "prod", "host": "a"}, ramp(t0, [0.5, 1.0, 1.0]))
    await system.step()
    assert await alert_states(system) == ["pending"]
    assert await system.incidents.list("t1") == []

    await system.send("cpu", {"env": "prod", "host": "a"}, ramp(t0 + 15_000, [1.0, 1.0]))
    await system.step()
    [alert] = await system.alerts.alerts("t1")
    assert alert.state.value == "firing"
    assert alert.fired_at_ms == t0 + 20_000
    assert dict(alert.annotations)["summary"] == "cpu 1 on a"
    [incident] = await system.incidents.list("t1")
    assert incident.alerts == (alert.fingerprint,)
    assert incident.severity.value == "SEV3"
    assert [r.workflow_id for r in await system.workflows.runs()] == [incident.id]
    assert [d.outcome.value for d in system.pipeline.decisions] == ["ignored", "incident_opened", "routed", "grouped"]


async def test_replayed_messages_change_nothing(system: System) -> None:
    await system.alerts.add_rule(high_cpu(for_ms=0))
    await system.send("cpu", {"env": "prod", "host": "a"}, ramp(NOW_MS - 30_000, [0.9, 0.9]))
    await system.step()
    # A crash before the commits: every consumer reads the same messages again.
    await system.step(group_suffix="-replay")
    [incident] = await system.incidents.list("t1")
    assert len(incident.alerts) == 1
    assert len(await system.workflows.runs()) == 1
    assert system.pipeline.decisions[-1].outcome.value == "duplicate"

    # A new pipeline process (empty memory) replaying the alerts topic opens nothing new.
    restarted = system.new_pipeline()
    consumer = await system.bus.subscribe([ALERTS_TOPIC], "pipeline-after-crash")
    await restarted.handle(await consumer.poll(timeout_s=0.01))
    [again] = await system.incidents.list("t1")
    assert again.id == incident.id and again.alerts == incident.alerts
    assert [d.outcome.value for d in restarted.decisions if d.stage.value == "incident"] == ["incident_updated"]


async def test_alerts_of_one_rule_share_an_incident(system: System) -> None:
    await system.alerts.add_rule(high_cpu(for_ms=0))
    await system.send("cpu", {"env": "prod", "host": "a"}, [(NOW_MS - 1000, 0.99)])
    await system.step()
    await system.send("cpu", {"env": "prod", "host": "b"}, [(NOW_MS, 0.99)])
    await system.send("cpu", {"env": "dev", "host": "c"}, [(NOW_MS, 0.99)])  # not selected
    await system.step()
    [incident] = await system.incidents.list("t1")
    assert len(incident.alerts) == 2
    assert [e.kind for e in incident.timeline].count("alert_attached") == 1


async def test_a_silence_mutes_the_incident_and_says_why(system: System) -> None:
    await system.alerts.add_rule(high_cpu(for_ms=0))
    await system.alerts.add_silence(Silence(
        id="s1", tenant="t1", matchers=(Matcher.of("host", "=~", "a|b"),), starts_at_ms=NOW_MS - 3_600_000,
        ends_at_ms=NOW_MS + 3_600_000, created_by="ops", comment="maintenance of a and b",
    ))
    await system.send("cpu", {"env": "prod", "host": "a"}, [(NOW_MS, 0.99)])
    await system.step()
    assert await system.incidents.list("t1") == []
    decision = system.pipeline.decisions[-1]
    assert decision.outcome.value == "silenced" and "maintenance of a and b" in decision.reason
    # ... and nobody is notified, not even once the groups' timers ran.
    system.clock.advance(60_000)
    await system.tick()
    assert list(system.notifier.sent) == []


async def test_resolved_alert_is_noted_on_the_incident(system: System) -> None:
    await system.alerts.add_rule(high_cpu(for_ms=0))
    await system.send("cpu", {"env": "prod", "host": "a"}, [(NOW_MS - 40_000, 0.99)])
    await system.step()
    await system.send("cpu", {"env": "prod", "host": "a"}, [(NOW_MS - 10_000, 0.1)])
    await system.step()
    assert await alert_states(system) == ["resolved"]
    [incident] = await system.incidents.list("t1")
    assert incident.timeline[-1].text.endswith("resolved")


async def test_restarted_evaluator_resumes_a_pending_alert(system: System) -> None:
    await system.alerts.add_rule(high_cpu(for_ms=10_000))
    await system.send("cpu", {"env": "prod", "host": "a"}, [(NOW_MS - 30_000, 0.95)])
    await system.step()
    assert await alert_states(system) == ["pending"]
    restarted = make_system(clock=system.clock, uow=system.uow)
    await restarted.send("cpu", {"env": "prod", "host": "a"}, [(NOW_MS - 15_000, 0.95)])
    await restarted.step()
    [alert] = await restarted.alerts.alerts("t1")
    assert alert.state.value == "firing"
    assert alert.active_at_ms == NOW_MS - 30_000  # not a cold start


async def test_absence_rule_fires_on_the_timer_and_resolves_when_data_returns(system: System) -> None:
    await system.alerts.add_rule(AbsenceRule(
        id="gone", tenant="t1", name="AgentDown", selector=Selector.parse('up{job="agent"}'), absent_for_ms=60_000,
    ))
    await system.send("up", {"job": "agent"}, [(NOW_MS, 1.0)])
    await system.step()
    await system.evaluator.tick()
    assert await alert_states(system) == []  # never transitioned: still inactive, nothing stored

    system.clock.advance(61_000)
    await system.evaluator.tick()
    await system.step()
    assert await alert_states(system) == ["firing"]
    assert len(await system.incidents.list("t1")) == 1

    await system.send("up", {"job": "agent"}, [(system.clock.now_ms(), 1.0)])
    await system.step()
    await system.evaluator.tick()
    assert await alert_states(system) == ["resolved"]


async def test_rules_are_read_on_an_interval_and_at_once_when_one_changes() -> None:
    import asyncio

    from adapters.memory.cache import MemoryPubSub
    from services.alerting import AlertService
    from services.evaluator import RuleEvaluator

    system = make_system()
    pubsub = MemoryPubSub()
    evaluator = RuleEvaluator(system.bus, system.uow, system.clock, pubsub=pubsub, rules_refresh_s=60)
    alerts = AlertService(system.uow, system.clock, pubsub=pubsub)
    reads = {"n": 0}
    real = system.uow.run

    async def counting(work):
        names = work.__code__.co_names
        reads["n"] += "rules" in names and "list" in names  # the evaluator reading every rule
        return await real(work)

    system.uow.run = counting  # type: ignore[method-assign]
    from services.config_changes import ConfigWatcher

    stop = asyncio.Event()
    config = ConfigWatcher(pubsub)
    config.on("rules", evaluator.on_rules_changed)
    watcher = asyncio.create_task(config.run(stop))
    await asyncio.sleep(0)
    system.evaluator = evaluator
    await system.send("cpu", {"env": "prod", "host": "a"}, ramp(NOW_MS - 30_000, [0.9]))
    await system.step()
    await system.send("cpu", {"env": "prod", "host": "a"}, ramp(NOW_MS - 25_000, [0.9]))
    await system.step()
    assert reads["n"] == 1  # read for the first batch, not again for the second
    await alerts.add_rule(high_cpu(for_ms=0))  # announced: read again before the next batch
    await asyncio.sleep(0.01)
    await system.send("cpu", {"env": "prod", "host": "a"}, ramp(NOW_MS - 20_000, [0.9]))
    await system.step()
    assert reads["n"] == 2 and await alert_states(system) == ["firing"]
    stop.set()
    watcher.cancel()
    await asyncio.gather(watcher, return_exceptions=True)
