"""The PromQL rule manager on in-memory adapters, driven step by step: recording rules
write through ingest (and feed later rules at once), alerting rules go pending,
fire, keep firing and resolve as Prometheus' do, write ALERTS and ALERTS_FOR_STATE,
publish transitions the alert pipeline turns into incidents, and keep their state
across a restart."""

from __future__ import annotations

import math
import struct

import pytest

from domain.alerts.rule_groups import AlertingRule, RecordingRule, RuleGroup
from domain.alerts.state import AlertState
from ports.bus import ALERTS_TOPIC
from services.codec import decode_transition
from services.promql.engine import PromQLEngine
from services.promrules.manager import RuleManager, shard_of
from services.promrules.overlay import RecordedOverlay
from tests.unit.services.conftest import NOW_MS, System, make_system

MINUTE = 60_000
STALE_BITS = 0x7FF0000000000002


class Rules:
    """A system with a rule manager; ``at(t)`` runs every due group at clock ``t``."""

    def __init__(self, system: System, *, shard: int = 0, shards: int = 1) -> None:
        self.s = system
        self.overlay = RecordedOverlay(system.store)
        self.engine = PromQLEngine(self.overlay)
        self.manager = RuleManager(system.uow, self.engine, self.overlay, system.ingest, system.bus, system.clock,
                                   default_interval_ms=MINUTE, external_url="http://oe", shard=shard, shards=shards)
        self.query_engine = PromQLEngine(system.store)

    async def put(self, group: RuleGroup) -> None:
        await self.s.uow.run(lambda u: u.rule_groups.save(group))
        await self.manager.refresh()

    async def run_until(self, t_ms: int, step_ms: int = 15_000) -> None:
        """Advance the clock to ``t_ms`` in steps, evaluating due groups and moving the bus."""
        while self.s.clock.now_ms() < t_ms:
            self.s.clock.advance(min(step_ms, t_ms - self.s.clock.now_ms()))
            await self.manager.evaluate_due()
            await self.s.step()

    async def query(self, expr: str, t_ms: int | None = None) -> list[tuple[dict, float]]:
        result = await self.query_engine.instant("t1", expr, self.s.clock.now_ms() if t_ms is None else t_ms)
        if result.result_type == "scalar":
            return [({}, result.scalar)]
        return [(dict(ls), float(v)) for ls, v in zip(result.labels, result.values.tolist())]

    async def transitions(self) -> list[tuple[str, str, str]]:
        """The transitions published since the last call (in publishing order per partition)."""
        consumer = await self.s.bus.subscribe([ALERTS_TOPIC], "test-reader")
        messages = await consumer.poll(timeout_s=0.01)
        out = []
        for m in sorted(messages, key=lambda m: decode_transition(m.value)[0].at_ms):
            tr, _ = decode_transition(m.value)
            out.append((tr.labels.get("alertname"), tr.from_state.value, tr.to_state.value))
        await consumer.commit({(m.topic, m.partition): m.offset + 1 for m in messages})
        await consumer.close()
        return out


@pytest.fixture
async def rules() -> Rules:
    r = Rules(make_system())
    yield r
    r.engine.close()
    r.query_engine.close()


async def send_up(r: Rules, values: dict[str, float], at: int | None = None) -> None:
    at = r.s.clock.now_ms() if at is None else at
    for instance, v in values.items():
        await r.s.send("up", {"job": "node", "instance": instance}, [(at, v)])
    await r.s.step()


def group(*rules, name: str = "g", interval_ms: int = 0, limit: int = 0) -> RuleGroup:
    return RuleGroup("t1", name, tuple(rules), interval_ms, limit)


async def test_groups_run_on_slots_offset_by_their_hash(rules: Rules) -> None:
    g = group(RecordingRule("job:up:sum", "sum by (job) (up)"), interval_ms=30_000)
    await rules.put(g)
    rt = rules.manager.groups[g.key]
    await rules.manager.evaluate_due()
    first = rt.next_ms
    assert first is not None and first > NOW_MS and first % 30_000 == g.offset_ms(30_000)
    await rules.run_until(NOW_MS + 2 * MINUTE)
    assert rt.status.last_evaluation_ms is not None
    assert rt.status.last_evaluation_ms % 30_000 == g.offset_ms(30_000)
    assert rt.status.rules[g.rule_ids()[0]].health == "ok"


async def test_a_recording_rule_writes_its_series_through_ingest(rules: Rules) -> None:
    await send_up(rules, {"a": 1, "b": 1})
    await rules.put(group(RecordingRule("job:up:sum", "sum by (job) (up)", (("source", "rule"),))))
    await rules.run_until(NOW_MS + 2 * MINUTE)
    assert await rules.query("job:up:sum") == [({"__name__": "job:up:sum", "job": "node", "source": "rule"}, 2.0)]
    info = (await rules.s.store.series("t1", [], None, None, 100))
    assert {i.key.name for i in info} == {"up", "job:up:sum"}


async def test_a_later_rule_reads_what_an_earlier_one_recorded_at_the_same_evaluation(rules: Rules) -> None:
    await send_up(rules, {"a": 0, "b": 0})
    await rules.put(group(
        RecordingRule("job:up:sum", "sum by (job) (up)"),
        AlertingRule("JobDown", "job:up:sum == 0"),
    ))
    rt = next(iter(rules.manager.groups.values()))
    await rules.run_until(NOW_MS + MINUTE + 1)
    assert rt.status.last_evaluation_ms is not None  # evaluated once: the alert fired at that same evaluation
    assert await rules.transitions() == [("JobDown", "inactive", "firing")]


async def test_pending_then_firing_with_alerts_series_and_annotations(rules: Rules) -> None:
    await rules.put(group(AlertingRule(
        "InstanceDown", "up == 0", for_ms=2 * MINUTE, labels=(("severity", "page"), ("host", "{{ $labels.instance }}")),
        annotations=(("summary", "{{ $labels.instance }} of {{ $labels.job }} down ({{ $value }})"),
                     ("count", '{{ query "count(up == 0)" | first | value }} down'))),
    ))
    for _ in range(5):
        await send_up(rules, {"a": 0, "b": 1})
        await rules.run_until(rules.s.clock.now_ms() + MINUTE)
    assert await rules.transitions() == [("InstanceDown", "inactive", "pending"), ("InstanceDown", "pending", "firing")]
    (alert,) = await rules.s.alerts.alerts("t1", ["firing"])
    assert alert.labels.as_dict() == {"alertname": "InstanceDown", "host": "a", "instance": "a", "job": "node",
                                      "severity": "page"}
    assert dict(alert.annotations) == {"summary": "a of node down (0)", "count": "1 down"}
    assert alert.fired_at_ms - alert.active_at_ms == 2 * MINUTE
    (firing,) = await rules.query('ALERTS{alertstate="firing"}')
    assert firing[0]["instance"] == "a" and firing[1] == 1.0
    assert await rules.query('ALERTS{alertstate="pending"}') == []  # went stale when it fired
    (for_state,) = await rules.query("ALERTS_FOR_STATE")
    assert for_state[1] == alert.active_at_ms // 1000


async def test_keep_firing_for_then_resolve(rules: Rules) -> None:
    await rules.put(group(AlertingRule("Down", "up == 0", keep_firing_for_ms=2 * MINUTE)))
    await send_up(rules, {"a": 0})
    await rules.run_until(rules.s.clock.now_ms() + MINUTE)
    await send_up(rules, {"a": 1})
    await rules.run_until(rules.s.clock.now_ms() + MINUTE)
    assert [s for *_, s in await rules.transitions()] == ["firing"]  # cleared, but kept firing
    (alert,) = await rules.s.alerts.alerts("t1", ["firing"])
    assert alert.keep_firing_since_ms is not None
    await send_up(rules, {"a": 1})
    await rules.run_until(rules.s.clock.now_ms() + 2 * MINUTE)
    assert [s for *_, s in await rules.transitions()] == ["resolved"]


async def test_state_survives_a_restart(rules: Rules) -> None:
    rule = AlertingRule("Down", "up == 0", for_ms=3 * MINUTE)
    await rules.put(group(rule))
    await send_up(rules, {"a": 0})
    await rules.run_until(rules.s.clock.now_ms() + MINUTE + 1)
    (pending,) = await rules.s.alerts.alerts("t1", ["pending"])
    # A new manager (a restarted process) on the same repository, bus and store
    restarted = Rules(rules.s)
    await restarted.manager.refresh()
    for _ in range(3):
        await send_up(restarted, {"a": 0})
        await restarted.run_until(restarted.s.clock.now_ms() + MINUTE)
    (firing,) = await restarted.s.alerts.alerts("t1", ["firing"])
    assert firing.active_at_ms == pending.active_at_ms  # pending since the first process saw it
    assert firing.fired_at_ms - firing.active_at_ms == 3 * MINUTE
    restarted.engine.close()
    restarted.query_engine.close()


async def test_series_a_rule_stops_writing_are_marked_stale(rules: Rules) -> None:
    await rules.put(group(RecordingRule("inst:up", "up")))
    await send_up(rules, {"a": 1, "b": 1})
    await rules.run_until(rules.s.clock.now_ms() + MINUTE)
    assert len(await rules.query("inst:up")) == 2
    await send_up(rules, {"a": 1, "b": math.nan})
    await rules.s.send("up", {"job": "node", "instance": "b"}, [(rules.s.clock.now_ms(),
                                                                 struct.unpack("<d", struct.pack("<Q", STALE_BITS))[0])])
    await rules.s.step()
    await rules.run_until(rules.s.clock.now_ms() + MINUTE)
    assert [labels["instance"] for labels, _ in await rules.query("inst:up")] == ["a"]


async def test_evaluation_errors_make_the_rule_unhealthy_and_keep_the_group_going(rules: Rules) -> None:
    g = group(AlertingRule("Dup", "up", labels=(("instance", "same"),)),  # two series, one alert label set
              RecordingRule("ok:sum", "sum(up)"), AlertingRule("Many", "up", for_ms=MINUTE), limit=1)
    await rules.put(g)
    await send_up(rules, {"a": 1, "b": 1})
    await rules.run_until(rules.s.clock.now_ms() + MINUTE)
    rt = rules.manager.groups[g.key]
    dup, ok, many = (rt.status.rules[rid] for rid in g.rule_ids())
    assert dup.health == "err" and "same labelset after applying alert labels" in dup.last_error
    assert ok.health == "ok"
    assert many.health == "err" and many.last_error == "exceeded limit of 1 with 2 alerts"
    assert await rules.query("ok:sum") == [({"__name__": "ok:sum"}, 2.0)]


async def test_removing_a_group_resolves_its_alerts_and_stales_its_series(rules: Rules) -> None:
    g = group(AlertingRule("Down", "up == 0"), RecordingRule("rec", "up"))
    await rules.put(g)
    await send_up(rules, {"a": 0})
    await rules.run_until(rules.s.clock.now_ms() + MINUTE)
    assert len(await rules.query("rec")) == 1
    await rules.s.uow.run(lambda u: u.rule_groups.remove("t1", "g"))
    await rules.manager.refresh()
    await rules.s.step()
    assert [(f, t) for _, f, t in await rules.transitions()] == [("inactive", "firing"), ("firing", "resolved")]
    assert await rules.query("rec") == [] and await rules.query("ALERTS") == []


async def test_firing_alerts_reach_the_pipeline_and_open_an_incident(rules: Rules) -> None:
    await rules.put(group(AlertingRule("Down", "up == 0", labels=(("severity", "critical"),),
                                       annotations=(("summary", "{{ $labels.instance }} is down"),))))
    await send_up(rules, {"a": 0})
    await rules.run_until(rules.s.clock.now_ms() + MINUTE)
    (incident,) = await rules.s.incidents.list("t1")
    assert incident.title == "a is down"


async def test_groups_are_spread_over_shards(rules: Rules) -> None:
    groups = [group(RecordingRule("r", "vector(1)"), name=f"g{i}") for i in range(8)]
    for g in groups:
        await rules.s.uow.run(lambda u, g=g: u.rule_groups.save(g))
    shards = [Rules(rules.s, shard=i, shards=2) for i in range(2)]
    for r in shards:
        await r.manager.refresh()
    owned = [set(k[1] for k in r.manager.groups) for r in shards]
    assert owned[0] | owned[1] == {g.name for g in groups} and not owned[0] & owned[1]
    assert all(shard_of(g, 2) == (0 if g.name in owned[0] else 1) for g in groups)
    for r in shards:
        r.engine.close()
        r.query_engine.close()


async def test_alert_state_is_stored_with_its_rule(rules: Rules) -> None:
    g = group(AlertingRule("Down", "up == 0", for_ms=5 * MINUTE))
    await rules.put(g)
    await send_up(rules, {"a": 0})
    await rules.run_until(rules.s.clock.now_ms() + MINUTE)
    (stored,) = await rules.s.alerts.alerts("t1")
    assert stored.rule_id == g.rule_ids()[0] and stored.state is AlertState.PENDING
