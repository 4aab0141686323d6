"""The dry run answers what the streaming evaluator does: for random rules and random
samples (sent in random batches), the transitions the evaluator publishes equal those
the dry run replays from the stored samples. Plus the absence timer, the warm-up, the
summary and the limits."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from adapters.memory.bus import MemoryBus
from adapters.memory.cache import MemoryLatestValueCache, MemoryPubSub, MemoryRateLimiter
from adapters.memory.repositories import MemoryUnitOfWorkRunner
from adapters.memory.samples import MemorySampleStore
from domain.alerts.rules import AbsenceRule, AnomalyRule, Comparison, ThresholdRule
from domain.alerts.state import AlertState
from domain.errors import LimitExceeded, ValidationError
from ports.bus import ALERTS_TOPIC, TELEMETRY_TOPIC
from services.codec import decode_transition
from services.evaluator import RuleEvaluator
from services.ingest import IngestLimits, IngestService, RawSeries
from services.rule_dry_run import DryRunLimits, RuleDryRun
from services.writer import SampleWriter
from tests.support.clock import FakeClock

NOW = 1_800_000_000_000
HOUR = 3_600_000
START = NOW - HOUR  # the samples begin here; the dry runs look back further


class Live:
    """Ingest, writer and evaluator on in-memory adapters, driven batch by batch."""

    def __init__(self, rule) -> None:
        self.clock = FakeClock(NOW)
        self.bus = MemoryBus(partitions=2)
        self.uow = MemoryUnitOfWorkRunner()
        self.store = MemorySampleStore()
        self.ingest = IngestService(self.bus, self.clock, MemoryRateLimiter(), IngestLimits())
        self.writer = SampleWriter(self.bus, self.store, MemoryLatestValueCache(), MemoryPubSub())
        self.evaluator = RuleEvaluator(self.bus, self.uow, self.clock)
        self.rule = rule

    async def start(self) -> None:
        await self.uow.run(lambda u: u.rules.add(self.rule))

    async def send(self, series: dict[str, list[tuple[int, float]]]) -> None:
        await self.ingest.ingest("t1", [RawSeries("cpu", {"host": host}, [list(s) for s in samples])
                                        for host, samples in series.items() if samples])
        for group, handle in (("writer", self.writer.handle), ("evaluator", self.evaluator.handle)):
            consumer = await self.bus.subscribe([TELEMETRY_TOPIC], group)
            msgs = await consumer.poll(max_records=10_000, timeout_s=0.01)
            if msgs:
                await handle(msgs)
                await consumer.commit({(m.topic, m.partition): m.offset + 1 for m in msgs})
            await consumer.close()

    async def published(self) -> list[tuple]:
        consumer = await self.bus.subscribe([ALERTS_TOPIC], "check")
        msgs = await consumer.poll(max_records=100_000, timeout_s=0.01)
        await consumer.close()
        return sorted(_key(decode_transition(m.value)[0]) for m in msgs)


def _key(tr) -> tuple:
    value = "nan" if math.isnan(tr.value) else tr.value
    return (tr.at_ms, tr.fingerprint, tr.from_state.value, tr.to_state.value, tr.labels, value)


def threshold_rules() -> st.SearchStrategy:
    return st.builds(
        lambda agg, window, op, threshold, for_ms, kff: ThresholdRule(
            id="r1", tenant="t1", name="HighCpu", selector="cpu", aggregation=agg, window_ms=window, comparison=op,
            threshold=threshold, for_ms=for_ms, keep_firing_for_ms=kff),
        st.sampled_from(["avg", "max", "min", "last", "sum", "count"]), st.sampled_from([5_000, 30_000, 120_000]),
        st.sampled_from(list(Comparison)), st.floats(2, 8), st.sampled_from([0, 10_000, 60_000]),
        st.sampled_from([0, 20_000]))


def anomaly_rules() -> st.SearchStrategy:
    return st.builds(
        lambda level, for_ms: AnomalyRule(id="r1", tenant="t1", name="OddCpu", selector="cpu", detector="ewma",
                                          level=level, for_ms=for_ms),
        st.floats(0.5, 0.99), st.sampled_from([0, 10_000]))


# Mostly far from the thresholds on either side (so rules do cross them), now and then NaN.
VALUES = st.integers(0, 19).flatmap(
    lambda n: st.just(math.nan) if n == 0 else st.sampled_from([1.0, 9.0]) if n < 12 else st.floats(0, 10))


@st.composite
def streams(draw) -> list[dict[str, list[tuple[int, float]]]]:
    """Samples of up to three series, split into batches at random points."""
    per_host = {}
    for host in draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3, unique=True)):
        gaps = draw(st.lists(st.integers(1_000, 40_000), min_size=1, max_size=60))
        values = draw(st.lists(VALUES, min_size=len(gaps), max_size=len(gaps)))
        t, samples = START, []
        for gap, value in zip(gaps, values):
            t += gap
            samples.append((t, value))
        per_host[host] = samples
    cuts = draw(st.integers(1, 5))
    batches = []
    for i in range(cuts):
        batches.append({h: s[len(s) * i // cuts: len(s) * (i + 1) // cuts] for h, s in per_host.items()})
    return batches


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule=st.one_of(threshold_rules(), anomaly_rules()), batches=streams())
async def test_the_dry_run_replays_what_the_evaluator_published(rule, batches):
    live = Live(rule)
    await live.start()
    for batch in batches:
        await live.send(batch)
    result = await RuleDryRun(live.store, live.clock).run(rule, 2 * HOUR)
    published = await live.published()
    event(f"{min(len(published), 3)}+ transitions published")  # the statistics show most examples move
    assert sorted(_key(tr) for tr in result.transitions) == published
    assert result.summary.transitions == len(result.transitions) and not result.truncated
    assert result.summary.would_have_fired == any(tr.to_state is AlertState.FIRING for tr in result.transitions)


async def test_absence_ticks_like_the_evaluator_timer():
    live = Live(AbsenceRule(id="r1", tenant="t1", name="CpuGone", selector="cpu", absent_for_ms=60_000))
    await live.send({"a": [(START + i * 10_000, 1.0) for i in range(10)]})  # until START + 90 s
    result = await RuleDryRun(live.store, live.clock).run(live.rule, HOUR + 120_000)
    moves = [(tr.from_state, tr.to_state, tr.at_ms) for tr in result.transitions]
    # Watching starts two minutes before the samples: silent for 60 s a minute before
    # them, resolved at the first; silent again 60 s after the last (START + 90 s) for good.
    assert moves == [(AlertState.INACTIVE, AlertState.FIRING, START - 60_000),
                     (AlertState.FIRING, AlertState.RESOLVED, START),
                     (AlertState.RESOLVED, AlertState.FIRING, START + 150_000)]
    assert result.summary.firing_at_end == 1 and result.summary.firing_ms == 60_000 + (NOW - START - 150_000)
    assert result.summary.first_fired_at_ms == START - 60_000 and result.summary.alerts_fired == 1


async def test_a_threshold_rule_is_warmed_up_with_its_window_before_the_range():
    rule = ThresholdRule(id="r1", tenant="t1", name="HighCpu", selector="cpu", aggregation="avg", window_ms=600_000,
                         comparison=">", threshold=5.0)
    live = Live(rule)
    # 10 minutes of 9s, then 1s from 5 minutes before the end of the range on.
    await live.send({"a": [(NOW - 15 * 60_000 + i * 60_000, 9.0) for i in range(10)]
                          + [(NOW - 5 * 60_000 + i * 60_000, 1.0) for i in range(5)]})
    result = await RuleDryRun(live.store, live.clock).run(rule, 5 * 60_000)
    # Within the range only the resolution shows: the warm-up found it firing already.
    assert [(tr.to_state, tr.at_ms) for tr in result.transitions] == [(AlertState.RESOLVED, NOW - 60_000)]
    assert result.summary.fired == 0 and result.summary.firing_ms == 4 * 60_000


async def test_limits_are_named():
    rule = ThresholdRule(id="r1", tenant="t1", name="HighCpu", selector="cpu", aggregation="avg", window_ms=60_000,
                         comparison=">", threshold=5.0)
    live = Live(rule)
    await live.send({h: [(START + i * 1_000, 1.0) for i in range(50)] for h in ("a", "b", "c")})
    with pytest.raises(LimitExceeded) as err:
        await RuleDryRun(live.store, live.clock, DryRunLimits(max_series=2)).run(rule, HOUR)
    assert (err.value.field, err.value.limit) == ("selector", "rule_dry_run_max_series")
    with pytest.raises(LimitExceeded) as err:
        await RuleDryRun(live.store, live.clock, DryRunLimits(max_samples=100)).run(rule, HOUR)
    assert (err.value.field, err.value.limit) == ("range", "rule_dry_run_max_samples")
    with pytest.raises(LimitExceeded) as err:
        await RuleDryRun(live.store, live.clock).run(rule, 30 * 86_400_000)
    assert err.value.limit == "rule_dry_run_max_range_s"
    with pytest.raises(ValidationError):
        await RuleDryRun(live.store, live.clock).run(rule, 0)
    with pytest.raises(LimitExceeded) as err:  # no time at all: stopped at its first check
        await RuleDryRun(live.store, live.clock, DryRunLimits(max_seconds=1e-9)).run(rule, HOUR)
    assert err.value.limit == "rule_dry_run_max_seconds"


async def test_transitions_listed_are_capped_and_say_so():
    rule = ThresholdRule(id="r1", tenant="t1", name="Flappy", selector="cpu", aggregation="last", window_ms=1_000,
                         comparison=">", threshold=5.0)
    live = Live(rule)
    await live.send({"a": [(START + i * 1_000, 9.0 if i % 2 else 1.0) for i in range(40)]})
    result = await RuleDryRun(live.store, live.clock, DryRunLimits(max_transitions=5)).run(rule, HOUR)
    assert len(result.transitions) == 5 and result.truncated and result.summary.transitions == 39
