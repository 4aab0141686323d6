"""The evaluator's state across restarts and within its memory bounds: a restarted
evaluator resumes windows and detectors from its checkpoints (no cold start), anomaly
rules fire on a spike once the detector is warm, and eviction keeps the number of
watches bounded without losing what they learned."""

from __future__ import annotations

import json
import random

from adapters.memory.bus import MemoryBus
from tests.support.clock import FakeClock
from adapters.memory.repositories import MemoryUnitOfWorkRunner
from adapters.memory.state import MemoryEvaluatorStateStore
from domain.alerts.rules import AbsenceRule, AnomalyRule, Comparison, ThresholdRule
from domain.metrics.aggregations import Aggregation
from domain.metrics.query import Selector
from ports.bus import ALERTS_TOPIC, TELEMETRY_TOPIC
from services.codec import decode_transition
from services.evaluator import RuleEvaluator
from services.evaluator_state import encode_watch
from services.ingest import IngestLimits, IngestService, RawSeries
from adapters.memory.cache import MemoryRateLimiter

NOW_MS = 1_800_000_000_000


class Rig:
    """Bus, repositories, clock and state store shared by evaluators that come and go."""

    def __init__(self, **options) -> None:
        self.clock = FakeClock(NOW_MS)
        self.bus = MemoryBus(partitions=2, retain=100_000, max_retain=100_000)
        self.uow = MemoryUnitOfWorkRunner()
        self.store = MemoryEvaluatorStateStore()
        self.ingest = IngestService(self.bus, self.clock, MemoryRateLimiter(), IngestLimits())
        self.options = options
        self._groups = 0

    def evaluator(self, *, stateful: bool = True, **options) -> RuleEvaluator:
        return RuleEvaluator(self.bus, self.uow, self.clock, state=self.store if stateful else None, **{**self.options, **options})

    async def add(self, rule) -> None:
        await self.uow.run(lambda uow: uow.rules.add(rule))

    async def send(self, name: str, labels: dict[str, str], samples: list[tuple[int, float]]) -> None:
        await self.ingest.ingest("t1", [RawSeries(name, labels, [list(s) for s in samples])])

    async def feed(self, evaluator: RuleEvaluator, group: str = "evaluator") -> None:
        """Everything not yet handled by ``group`` goes to ``evaluator``."""
        consumer = await self.bus.subscribe([TELEMETRY_TOPIC], group)
        while msgs := await consumer.poll(max_records=500, timeout_s=0.01):
            await evaluator.handle(msgs)
            await consumer.commit({(m.topic, m.partition): m.offset + 1 for m in msgs})
        await consumer.close()

    async def transitions(self) -> list[tuple[str, str, int]]:
        self._groups += 1
        consumer = await self.bus.subscribe([ALERTS_TOPIC], f"reader-{self._groups}")
        out = []
        while msgs := await consumer.poll(max_records=500, timeout_s=0.01):
            for m in msgs:
                t, _ = decode_transition(m.value)
                out.append((t.labels.get("host"), t.to_state.value, t.at_ms))
        await consumer.close()
        return sorted(out, key=lambda x: (x[2], x[0] or ""))


def avg_5m(rule_id: str = "avg5m") -> ThresholdRule:
    return ThresholdRule(id=rule_id, tenant="t1", name="LatencyHigh", selector=Selector.parse("latency"),
                         aggregation=Aggregation.AVG, window_ms=300_000, comparison=Comparison.GT, threshold=0.5)


def spiky(rule_id: str = "spike", detector: str = "ewma") -> AnomalyRule:
    return AnomalyRule(id=rule_id, tenant="t1", name="LatencyOdd", selector=Selector.parse("latency"),
                       detector=detector, level=0.99)


def noise(start_ms: int, n: int, every_ms: int = 10_000, seed: int = 7) -> list[tuple[int, float]]:
    rng = random.Random(seed)
    return [(start_ms + i * every_ms, 10.0 + rng.gauss(0, 1)) for i in range(n)]


async def test_a_restart_keeps_the_five_minute_window():
    rig = Rig()
    await rig.add(avg_5m())
    first = rig.evaluator()
    t0 = NOW_MS - 600_000
    # Four minutes at 0.9, then the evaluator stops (its state checkpointed).
    await rig.send("latency", {"host": "a"}, [(t0 + i * 30_000, 0.9) for i in range(8)])
    await rig.feed(first)
    assert await first.checkpoint() == 1
    assert await rig.transitions() == [("a", "firing", t0)]

    # A new process: 0.2 now. Over five minutes the average is still 0.8 > 0.5: it keeps
    # firing. A cold start would see only 0.2 and resolve the alert.
    restarted = rig.evaluator()
    await rig.send("latency", {"host": "a"}, [(t0 + 240_000, 0.2)])
    await rig.feed(restarted)
    assert await rig.transitions() == [("a", "firing", t0)]
    [(_, watch)] = list(restarted.watches.items())
    assert [s.value for s in watch.window] == [0.9] * 8 + [0.2]

    cold = Rig()
    await cold.add(avg_5m())
    await cold.send("latency", {"host": "a"}, [(t0 + i * 30_000, 0.9) for i in range(8)])
    await cold.feed(cold.evaluator(stateful=False))
    await cold.send("latency", {"host": "a"}, [(t0 + 240_000, 0.2)])
    await cold.feed(cold.evaluator(stateful=False))
    assert await cold.transitions() == [("a", "firing", t0), ("a", "resolved", t0 + 240_000)]


async def test_the_window_is_still_trimmed_to_the_rule_after_a_restart():
    rig = Rig()
    await rig.add(avg_5m())
    first = rig.evaluator()
    t0 = NOW_MS - 900_000
    await rig.send("latency", {"host": "a"}, [(t0 + i * 60_000, 0.1) for i in range(5)])
    await rig.feed(first)
    await first.checkpoint()
    restarted = rig.evaluator()
    await rig.send("latency", {"host": "a"}, [(t0 + 600_000, 0.1)])  # 6 minutes after the last: all of them out
    await rig.feed(restarted)
    [(_, watch)] = list(restarted.watches.items())
    assert [s.timestamp_ms for s in watch.window] == [t0 + 600_000]


async def test_an_anomaly_rule_fires_on_a_spike_after_warm_up():
    rig = Rig()
    await rig.add(spiky())
    evaluator = rig.evaluator()
    t0 = NOW_MS - 3_600_000
    history = noise(t0, 300)
    await rig.send("latency", {"host": "a"}, history[:30])  # still warming up: a spike is not judged
    await rig.send("latency", {"host": "a"}, [(t0 + 30 * 10_000 - 5_000, 60.0)])
    await rig.send("latency", {"host": "a"}, history[30:])
    await rig.feed(evaluator)
    assert await rig.transitions() == []

    spike_at = t0 + 300 * 10_000
    await rig.send("latency", {"host": "a"}, [(spike_at, 60.0), (spike_at + 10_000, 10.0)])
    await rig.feed(evaluator)
    assert await rig.transitions() == [("a", "firing", spike_at), ("a", "resolved", spike_at + 10_000)]


async def test_the_detector_survives_a_restart():
    t0 = NOW_MS - 3_600_000
    history, spike_at = noise(t0, 300), t0 + 300 * 10_000

    async def run(restart_after: int | None) -> tuple[list, dict]:
        rig = Rig()
        await rig.add(spiky())
        evaluator = rig.evaluator()
        for i in range(0, 300, 50):
            if restart_after is not None and i == restart_after:
                await evaluator.checkpoint()
                evaluator = rig.evaluator()  # a new process
            await rig.send("latency", {"host": "a"}, history[i:i + 50])
            await rig.feed(evaluator)
        await rig.send("latency", {"host": "a"}, [(spike_at, 60.0)])
        await rig.feed(evaluator)
        [(_, watch)] = list(evaluator.watches.items())
        return await rig.transitions(), watch.detector.state()

    uninterrupted, state = await run(None)
    assert uninterrupted == [("a", "firing", spike_at)]
    # Restarted just after warm-up, and late: the same alerts, the same learned state.
    for at in (100, 250):
        assert await run(at) == (uninterrupted, state)

    cold = Rig()  # without checkpoints the new process is still warming up at the spike
    await cold.add(spiky())
    await cold.send("latency", {"host": "a"}, history)
    await cold.feed(cold.evaluator(stateful=False))
    await cold.send("latency", {"host": "a"}, [(spike_at, 60.0)])
    await cold.feed(cold.evaluator(stateful=False))
    assert await cold.transitions() == []


async def test_a_checkpoint_of_another_detector_is_not_used():
    rig = Rig()
    await rig.add(spiky(detector="ewma"))
    evaluator = rig.evaluator()
    await rig.send("latency", {"host": "a"}, noise(NOW_MS - 3_600_000, 80))
    await rig.feed(evaluator)
    await evaluator.checkpoint()
    [((rule_id, sid), _)] = list(evaluator.watches.items())
    doc = (await rig.store.load([("t1", rule_id, sid)]))[("t1", rule_id, sid)]
    doc["det"] = "something-else"
    await rig.store.save({("t1", rule_id, sid): doc}, 60)
    restarted = rig.evaluator()
    await rig.send("latency", {"host": "a"}, [(NOW_MS - 60_000, 10.0)])
    await rig.feed(restarted)
    [(_, watch)] = list(restarted.watches.items())
    assert watch.detector.state()["n"] <= 1  # started cold rather than on a foreign baseline


async def test_replays_after_a_checkpoint_change_nothing():
    rig = Rig()
    await rig.add(avg_5m())
    await rig.add(spiky())
    evaluator = rig.evaluator()
    await rig.send("latency", {"host": "a"}, noise(NOW_MS - 3_600_000, 120))
    await rig.feed(evaluator)
    await evaluator.checkpoint()
    before = {k: json.dumps(encode_watch(r, w)) for (k, w), r in zip(evaluator.watches.items(), [avg_5m(), spiky()])}
    restarted = rig.evaluator()
    await rig.feed(restarted, group="replay-from-the-start")  # the whole stream again
    after = {k: json.dumps(encode_watch(r, w)) for (k, w), r in zip(restarted.watches.items(), [avg_5m(), spiky()])}
    assert after == before


async def test_the_number_of_watches_is_bounded_and_evicted_ones_come_back_warm():
    rig = Rig(max_watches=10)
    await rig.add(avg_5m())
    evaluator = rig.evaluator()
    t0 = NOW_MS - 600_000
    for host in range(50):
        await rig.send("latency", {"host": f"h{host}"}, [(t0, 0.9), (t0 + 30_000, 0.9)])
        await rig.feed(evaluator)
        assert len(evaluator.watches) <= 10
    assert len(rig.store) == 40  # each evicted watch was checkpointed before it went
    await rig.send("latency", {"host": "h0"}, [(t0 + 60_000, 0.0)])
    await rig.feed(evaluator)
    [watch] = [w for _, w in evaluator.watches.items() if w.alert.labels.get("host") == "h0"]
    assert [s.value for s in watch.window] == [0.9, 0.9, 0.0]  # not a cold start
    assert ("h0", "resolved", t0 + 60_000) not in await rig.transitions()  # avg 0.6 > 0.5


async def test_idle_watches_are_evicted_at_a_checkpoint():
    rig = Rig(idle_evict_s=600)
    await rig.add(avg_5m())
    evaluator = rig.evaluator()
    await rig.send("latency", {"host": "a"}, [(NOW_MS - 1_000, 0.9)])
    await rig.feed(evaluator)
    rig.clock.advance(300_000)
    await rig.send("latency", {"host": "b"}, [(rig.clock.now_ms(), 0.9)])
    await rig.feed(evaluator)
    rig.clock.advance(301_000)  # a: idle 601 s; b: 301 s
    await evaluator.checkpoint()
    assert [w.alert.labels.get("host") for _, w in evaluator.watches.items()] == ["b"]
    assert len(rig.store) == 2


async def test_window_and_detector_state_stay_bounded():
    rig = Rig(max_window_samples=100)
    await rig.add(avg_5m())
    await rig.add(spiky(detector="seasonal"))
    evaluator = rig.evaluator()
    t0 = NOW_MS - 20 * 3_600_000
    sizes = []
    for part in range(4):
        await rig.send("latency", {"host": "a"}, noise(t0 + part * 2_000 * 1_000, 2_000, every_ms=1_000, seed=part))
        await rig.feed(evaluator)
        rules = {"avg5m": avg_5m(), "spike": spiky(detector="seasonal")}
        sizes.append({k[0]: len(json.dumps(encode_watch(rules[k[0]], w))) for k, w in evaluator.watches.items()})
        window = next(w for k, w in evaluator.watches.items() if k[0] == "avg5m").window
        assert len(window) == 100
    assert max(s["spike"] for s in sizes) < 64_000
    assert max(s["avg5m"] for s in sizes) < 4_000
    assert abs(sizes[-1]["spike"] - sizes[1]["spike"]) < 0.1 * sizes[1]["spike"]  # O(1), not growing


async def test_a_deleted_rule_takes_its_state_with_it():
    rig = Rig()
    await rig.add(avg_5m())
    evaluator = rig.evaluator()
    await rig.send("latency", {"host": "a"}, [(NOW_MS - 1_000, 0.9)])
    await rig.feed(evaluator)
    await evaluator.checkpoint()
    assert len(rig.store) == 1
    await rig.uow.run(lambda uow: uow.rules.remove("t1", "avg5m"))
    await evaluator.refresh_rules(force=True)
    assert len(evaluator.watches) == 0 and len(rig.store) == 0


async def test_absence_keeps_its_last_seen_time_across_a_restart():
    rig = Rig()
    await rig.add(AbsenceRule(id="gone", tenant="t1", name="AgentDown", selector=Selector.parse('up{job="agent"}'),
                              absent_for_ms=60_000))
    first = rig.evaluator()
    await rig.send("up", {"job": "agent"}, [(NOW_MS, 1.0)])
    await rig.feed(first)
    await first.checkpoint()
    rig.clock.advance(50_000)
    restarted = RuleEvaluator(rig.bus, rig.uow, rig.clock, state=rig.store)  # started 50 s after the sample
    await restarted.tick()
    assert await rig.transitions() == []
    rig.clock.advance(11_000)
    await restarted.tick()  # 61 s since the sample; only 11 s since the restart
    assert await rig.transitions() == [("", "firing", NOW_MS + 61_000)]


class FlakyUow:
    """The repositories, failing ``failures`` times from the ``after``-th transaction on."""

    def __init__(self, inner: MemoryUnitOfWorkRunner, after: int, failures: int = 2) -> None:
        self.inner, self.after, self.failures, self.calls = inner, after, failures, 0

    async def run(self, work):
        self.calls += 1
        if self.calls >= self.after and self.failures > 0:
            self.failures -= 1
            raise ConnectionError("database went away")
        return await self.inner.run(work)


async def test_a_failing_batch_rewinds_to_the_last_checkpoint_and_loses_nothing():
    """``run`` with the repository failing mid-stream: it rewinds to its last checkpoint,
    reloads the state, and publishes what an evaluator that never failed publishes."""
    import asyncio

    history = noise(NOW_MS - 3_600_000, 200) + [(NOW_MS - 3_600_000 + 200 * 10_000, 60.0)]
    plateau = [(t, 0.9 if 60 <= i < 120 else 0.1) for i, (t, _) in enumerate(history)]

    async def run(flaky_after: int | None) -> list:
        rig = Rig()
        await rig.add(avg_5m())
        await rig.add(spiky())
        if flaky_after is not None:
            rig.uow = FlakyUow(rig.uow, flaky_after)
        evaluator, stop = rig.evaluator(checkpoint_interval_s=0.01), asyncio.Event()
        await (await rig.bus.subscribe([TELEMETRY_TOPIC], "evaluator")).close()
        task = asyncio.create_task(evaluator.run(stop))
        for i in range(0, len(history), 20):
            await rig.send("latency", {"host": "a"}, history[i:i + 20])
            await rig.send("latency", {"host": "b"}, plateau[i:i + 20])
            await asyncio.sleep(0.01)
        for _ in range(500):
            if await rig.bus.lag(TELEMETRY_TOPIC, "evaluator") == 0:
                break
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(task, 10)
        if flaky_after is not None:
            assert rig.uow.failures == 0, "the failure was injected"
        return await rig.transitions()

    expected = await run(None)
    assert {t[1] for t in expected} == {"firing", "resolved"}
    for after in (4, 9):
        assert await run(after) == expected
