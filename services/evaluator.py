"""The evaluator: every sample streams through the rules of its series as it arrives.

State per (rule, series) is a window of recent samples, bounded by the rule's window
and a hard cap on samples, so memory stays proportional to the number of series. Alert
transitions are saved, then published to the alerts topic for the pipeline.
Absence rules cannot be driven by samples (there are none): a timer evaluates them.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from domain.alerts.rules import AbsenceRule, ThresholdRule, render_annotations
from domain.alerts.state import Alert, AlertTransition
from domain.metrics.labels import LabelSet
from domain.metrics.samples import Sample
from ports.bus import ALERTS_TOPIC, TELEMETRY_TOPIC, Message, MessageBus
from ports.clock import Clock
from ports.repositories import AlertRule, UnitOfWork, UnitOfWorkRunner
from services.codec import decode_batch, encode_transition
from services.consumer_loop import run_consumer

log = logging.getLogger(__name__)
EVALUATOR_GROUP = "evaluator"


@dataclass
class _Watch:
    """What the evaluator remembers of one (rule, series)."""

    alert: Alert
    window: deque[Sample] = field(default_factory=deque)


@dataclass
class _SeenSeries:
    name: str
    labels: LabelSet
    last_ms: int


class RuleEvaluator:
    def __init__(self, bus: MessageBus, uow: UnitOfWorkRunner, clock: Clock, *, max_window_samples: int = 10_000, rules_refresh_s: float = 0.0) -> None:
        self._bus = bus
        self._uow = uow
        self._clock = clock
        self._max_window = max_window_samples
        self._refresh_ms = int(rules_refresh_s * 1000)
        self._rules: dict[str, list[AlertRule]] = {}
        self._rules_loaded_ms: int | None = None
        self._watches: dict[tuple[str, int], _Watch] = {}  # (rule id, series id)
        self._absence: dict[str, Alert] = {}  # rule id -> its alert
        self._seen: dict[str, dict[int, _SeenSeries]] = {}  # tenant -> series id -> last seen
        self._started_ms = clock.now_ms()

    async def refresh_rules(self, force: bool = False) -> None:
        now = self._clock.now_ms()
        # A rule created just before its samples arrive must see them: by default the
        # rules are re-read for every polled batch (one cheap query per batch).
        if not force and self._rules_loaded_ms is not None and now - self._rules_loaded_ms < self._refresh_ms:
            return
        rules = await self._uow.run(lambda uow: uow.rules.list())
        by_tenant: dict[str, list[AlertRule]] = {}
        for r in rules:
            by_tenant.setdefault(r.tenant, []).append(r)
        current = {r.id for r in rules}
        for key in [k for k in self._watches if k[0] not in current]:
            del self._watches[key]  # the rule was deleted: forget its state
        self._rules = by_tenant
        self._rules_loaded_ms = now

    async def handle(self, messages: Sequence[Message]) -> None:
        await self.refresh_rules()
        batches = [decode_batch(m.value) for m in messages]
        pending: list[tuple[str, int, ThresholdRule, LabelSet, tuple[Sample, ...]]] = []
        for batch in batches:
            seen = self._seen.setdefault(batch.tenant, {})
            rules = [r for r in self._rules.get(batch.tenant, ()) if isinstance(r, ThresholdRule)]
            for s in batch.series:
                if s.samples:
                    prev = seen.get(s.series_id)
                    last = s.samples[-1].timestamp_ms
                    if prev is None or last > prev.last_ms:
                        seen[s.series_id] = _SeenSeries(s.key.name, s.key.labels, last)
                for rule in rules:
                    if rule.selector.matches(s.key.name, s.key.labels):
                        pending.append((batch.tenant, s.series_id, rule, s.key.labels, s.samples))
        if not pending:
            return
        await self._load_missing(pending)
        transitions: list[tuple[AlertTransition, Alert]] = []
        for _, series_id, rule, _, samples in pending:
            watch = self._watches[(rule.id, series_id)]
            for smp in samples:
                if watch.window and smp.timestamp_ms <= watch.window[-1].timestamp_ms:
                    continue  # replayed or out of order: already evaluated
                watch.window.append(smp)
                horizon = smp.timestamp_ms - rule.window_ms
                while watch.window and (watch.window[0].timestamp_ms <= horizon or len(watch.window) > self._max_window):
                    watch.window.popleft()
                tr = watch.alert.observe(rule.evaluate(watch.window), smp.timestamp_ms, rule.for_ms, rule.keep_firing_for_ms)
                if tr is not None:
                    watch.alert.annotations = tuple(sorted(render_annotations(rule, watch.alert.labels, watch.alert.value).items()))
                    transitions.append((tr, watch.alert))
        await self._emit(transitions)

    async def _load_missing(self, pending: Sequence[tuple[str, int, ThresholdRule, LabelSet, tuple[Sample, ...]]]) -> None:
        """Create the watch of each new (rule, series), resuming a stored alert if one exists
        (a restart or rebalance does not forget what was pending or firing)."""
        missing: dict[tuple[str, int], Alert] = {}
        for tenant, series_id, rule, labels, _ in pending:
            if (rule.id, series_id) not in self._watches and (rule.id, series_id) not in missing:
                missing[(rule.id, series_id)] = Alert.for_rule(rule, labels)
        if not missing:
            return

        def load(uow: UnitOfWork) -> dict[tuple[str, int], Alert]:
            out = {}
            for key, fresh in missing.items():
                stored = uow.alerts.get(fresh.tenant, fresh.fingerprint)
                out[key] = stored if stored is not None and stored.rule_id == fresh.rule_id else fresh
            return out

        for key, alert in (await self._uow.run(load)).items():
            self._watches[key] = _Watch(alert)

    async def _emit(self, transitions: list[tuple[AlertTransition, Alert]]) -> None:
        if not transitions:
            return
        latest = {id(a): a for _, a in transitions}

        def save(uow: UnitOfWork) -> None:
            for a in latest.values():
                uow.alerts.save(a)

        await self._uow.run(save)
        for tr, alert in transitions:
            await self._bus.publish(ALERTS_TOPIC, tr.fingerprint.encode(), encode_transition(tr, alert.annotations))

    async def tick(self) -> None:
        """Evaluate absence rules at the current time."""
        await self.refresh_rules()
        now = self._clock.now_ms()
        transitions: list[tuple[AlertTransition, Alert]] = []
        for tenant, rules in self._rules.items():
            seen = self._seen.get(tenant, {})
            for rule in rules:
                if not isinstance(rule, AbsenceRule):
                    continue
                last = max((s.last_ms for s in seen.values() if rule.selector.matches(s.name, s.labels)), default=None)
                alert = self._absence.get(rule.id)
                if alert is None:
                    alert = self._absence[rule.id] = Alert.for_rule(rule, rule.absent_labels())
                result = rule.evaluate(last, now, since_ms=self._started_ms)
                tr = alert.observe(result, now, rule.for_ms, rule.keep_firing_for_ms)
                if tr is not None:
                    alert.annotations = tuple(sorted(render_annotations(rule, alert.labels, alert.value).items()))
                    transitions.append((tr, alert))
        await self._emit(transitions)

    async def run(self, stop: asyncio.Event, tick_interval_s: float = 1.0) -> None:
        consumer = await self._bus.subscribe([TELEMETRY_TOPIC], EVALUATOR_GROUP)

        async def ticker() -> None:
            while not stop.is_set():
                try:
                    await self.tick()
                except Exception:
                    log.exception("absence evaluation failed")
                try:
                    await asyncio.wait_for(stop.wait(), tick_interval_s)
                except TimeoutError:
                    pass

        tick_task = asyncio.create_task(ticker())
        try:
            await run_consumer(consumer, self.handle, stop)
        finally:
            tick_task.cancel()
            await consumer.close()
