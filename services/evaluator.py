"""The evaluator: every sample streams through the rules of its series as it arrives.

Each (rule, series) has a *watch* (services/evaluator_state.py): the alert, and a
window of recent samples (threshold rules) or a streaming detector (anomaly rules),
bounded per series, so memory is proportional to the number of watched series. Watches
of series unseen for ``idle_evict_s``, and the least recently used beyond
``max_watches``, are evicted (checkpointed first). Transitions are saved, then
published to the alerts topic for the pipeline. Absence rules cannot be driven by
samples (there are none): a timer evaluates them.

**Checkpoints** (with a ``ports.state`` store; docs/adr/0007-evaluator-state.md). Every
``checkpoint_interval_s`` the watches that changed are saved, and only *then* are the
bus offsets of what was handled committed. So the stored state is never behind the
committed offsets: a restarted member, or the one a rebalance moved the partition to,
loads the checkpoint on first sight of a (rule, series) and replays the rest from the
bus; samples at or before a watch's newest are recognised as replays and skipped, so
the window and the detector end up exactly as an uninterrupted evaluator's. The cost is
bounded: one pipelined write of the changed watches per interval (not per sample), and
commits that trail by at most one interval.

**Rules** are read every ``rules_refresh_s`` and at once when a rule changes: the rules
service announces the change (``config_changed``, kind ``rules``: services/config_changes.py)
and the process's ``ConfigWatcher`` calls ``on_rules_changed``. ``rules_refresh_s=0``
re-reads them for every batch (tests and harnesses that add rules and feed samples step
by step). Only enabled rules are evaluated. A rule deleted, disabled, or changed in what
it evaluates (``evaluation_key``: selector, labels, threshold, window, detector ...)
loses its windows and detectors, and its firing alerts resolve (pending ones go
inactive); an edit of ``for``, ``keep_firing_for`` or annotations keeps them, as in
Prometheus.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from domain.alerts.rules import AbsenceRule, AnomalyRule, ThresholdRule, alerts_key, evaluation_key
from domain.alerts.state import Alert, AlertTransition
from domain.metrics.labels import LabelSet
from domain.metrics.samples import Sample
from ports.bus import ALERTS_TOPIC, TELEMETRY_TOPIC, Consumer, Message, MessageBus
from ports.cache import PubSub
from ports.clock import Clock
from ports.repositories import AlertRule, UnitOfWork, UnitOfWorkRunner
from ports.state import EvaluatorStateStore, StateKey
from services.codec import decode_batch, encode_transition
from services.consumer_loop import MessageFailed, PoisonGuard
from services.evaluator_state import (
    LastSeen, Watch, WatchKey, WatchTable, absence_slot, encode_watch, evaluate_absence, evaluate_sample, new_watch, restore_watch, retune,
)
from services.streaming import alert_event, alerts_channel, publish_event

log = logging.getLogger(__name__)
EVALUATOR_GROUP = "evaluator"
SampleRule = ThresholdRule | AnomalyRule
_Pending = tuple[WatchKey, SampleRule, LabelSet, tuple[Sample, ...]]


class RuleEvaluator:
    def __init__(
        self, bus: MessageBus, uow: UnitOfWorkRunner, clock: Clock, *, max_window_samples: int = 10_000,
        rules_refresh_s: float = 0.0, pubsub: PubSub | None = None, state: EvaluatorStateStore | None = None,
        checkpoint_interval_s: float = 5.0, state_ttl_s: float = 8 * 86_400.0, max_watches: int = 200_000,
        idle_evict_s: float = 3_600.0,
    ) -> None:
        self._bus = bus
        self._pubsub = pubsub  # live updates (services/streaming.py); optional
        self._uow = uow
        self._clock = clock
        self._store = state
        self._max_window = max_window_samples
        self._refresh_ms = int(rules_refresh_s * 1000)
        self._checkpoint_s = checkpoint_interval_s
        self._ttl_s = state_ttl_s
        self._max_watches = max_watches
        self._idle_ms = int(idle_evict_s * 1000)
        self._rules: dict[str, list[AlertRule]] = {}
        self._by_id: dict[str, AlertRule] = {}
        self._rules_loaded_ms: int | None = None
        self.watches = WatchTable()
        self._absence: dict[str, Alert] = {}  # rule id -> its alert
        self._seen: dict[StateKey, LastSeen] = {}  # (tenant, absence rule, -1 - partition)
        self._started_ms = clock.now_ms()
        self._lock = asyncio.Lock()  # handling, ticks, checkpoints and releases take turns
        self._consumer: Consumer | None = None
        self._uncommitted: dict[tuple[str, int], int] = {}  # handled, committed at the next checkpoint
        self._resume: dict[tuple[str, int], int] = {}  # where to re-read from if handling fails
        self._generation = 0  # bumped by release(): batches polled before it are dropped

    # -- rules --------------------------------------------------------------------------

    def rules_changed(self) -> None:
        """A rule was added, edited or removed: read them again before the next batch."""
        self._rules_loaded_ms = None

    def on_rules_changed(self, tenant: str) -> None:
        """The ``ConfigWatcher``'s reloader for kind ``rules`` (any tenant's change: the
        evaluator reads every tenant's rules in one go)."""
        self.rules_changed()

    async def refresh_rules(self, force: bool = False) -> None:
        now = self._clock.now_ms()
        # On an interval, and at once on a change notification (``rules_changed``).
        if not force and self._rules_loaded_ms is not None and now - self._rules_loaded_ms < self._refresh_ms:
            return
        rules = [r for r in await self._uow.run(lambda uow: uow.rules.list()) if r.enabled]
        by_tenant: dict[str, list[AlertRule]] = {}
        for r in rules:
            by_tenant.setdefault(r.tenant, []).append(r)
        current = {r.id: r for r in rules}
        # Rules gone (deleted, disabled) or making other alerts now start afresh; those
        # only computing differently keep their alerts and re-tune their watches.
        changed = {rule_id for rule_id, before in self._by_id.items()
                   if rule_id in current and alerts_key(before) != alerts_key(current[rule_id])}
        retuned = {rule_id for rule_id, before in self._by_id.items() if rule_id in current
                   and rule_id not in changed and evaluation_key(before) != evaluation_key(current[rule_id])}
        for key, watch in self.watches.items():
            if key[0] in retuned:
                retune(watch, self._by_id[key[0]], current[key[0]])  # type: ignore[arg-type]
                self.watches.mark(key)
        withdrawn: list[tuple[AlertTransition, Alert]] = []
        gone: list[StateKey] = []
        for rule_id in (self.watches.rule_ids() - current.keys()) | (self.watches.rule_ids() & changed):
            for key in [k for k, _ in self.watches.items() if k[0] == rule_id]:
                watch = self.watches.pop(key)
                assert watch is not None
                gone.append((watch.alert.tenant, key[0], key[1]))
                self._withdraw(watch.alert, now, withdrawn)
        for key in [k for k in self._seen if k[1] not in current or k[1] in changed]:
            del self._seen[key]
            gone.append(key)
        for rule_id in [r for r in self._absence if r not in current or r in changed]:
            self._withdraw(self._absence.pop(rule_id), now, withdrawn)
        if gone and self._store is not None:
            try:
                await self._store.delete(gone)
            except Exception:
                log.warning("could not delete the state of deleted rules (it expires by itself)", exc_info=True)
        self._rules = by_tenant
        self._by_id = current
        self._rules_loaded_ms = now
        await self._emit(withdrawn)

    @staticmethod
    def _withdraw(alert: Alert, now: int, out: list[tuple[AlertTransition, Alert]]) -> None:
        tr = alert.withdraw(now)
        if tr is not None:
            out.append((tr, alert))

    # -- samples ------------------------------------------------------------------------

    async def handle(self, messages: Sequence[Message]) -> None:
        async with self._lock:
            await self._handle(messages)

    async def _handle(self, messages: Sequence[Message]) -> None:
        await self.refresh_rules()
        pending: list[_Pending] = []
        for m in messages:
            batch = decode_batch(m.value)
            rules = self._rules.get(batch.tenant, ())
            if not rules:
                continue
            for s in batch.series:
                if not s.samples:
                    continue
                for rule in rules:
                    if not rule.selector.matches(s.key.name, s.key.labels):
                        continue
                    if isinstance(rule, AbsenceRule):
                        key = (batch.tenant, rule.id, absence_slot(m.partition))
                        self._seen.setdefault(key, LastSeen()).saw(max(x.timestamp_ms for x in s.samples))
                    else:
                        pending.append(((rule.id, s.series_id), rule, s.key.labels, s.samples))
        if not pending:
            return
        await self._load_missing(pending)
        now = self._clock.now_ms()
        transitions: list[tuple[AlertTransition, Alert]] = []
        for key, rule, _, samples in pending:
            watch = self.watches.touch(key, now)
            for smp in samples:
                tr = evaluate_sample(rule, watch, smp, self._max_window)
                if tr is not None:
                    transitions.append((tr, watch.alert))
            if watch.dirty:
                self.watches.mark(key)
        await self._emit(transitions)
        if len(self.watches) > self._max_watches:
            await self._evict(self.watches.oldest(beyond=self._max_watches))

    async def _load_missing(self, pending: Sequence[_Pending]) -> None:
        """Create the watch of each new (rule, series): the stored alert if there is one
        (a restart or rebalance does not forget what was pending or firing), and the
        checkpointed window or detector (it does not start cold either)."""
        missing: dict[WatchKey, tuple[SampleRule, Alert]] = {}
        for key, rule, labels, _ in pending:
            if key not in self.watches and key not in missing:
                missing[key] = (rule, Alert.for_rule(rule, labels))
        if not missing:
            return

        def load(uow: UnitOfWork) -> dict[WatchKey, Alert]:
            out = {}
            for key, (_, fresh) in missing.items():
                stored = uow.alerts.get(fresh.tenant, fresh.fingerprint)
                out[key] = stored if stored is not None and stored.rule_id == fresh.rule_id else fresh
            return out

        alerts = await self._uow.run(load)
        states = {}
        if self._store is not None:
            states = await self._store.load([(a.tenant, k[0], k[1]) for k, (_, a) in missing.items()])
        for key, (rule, fresh) in missing.items():
            watch = new_watch(rule, alerts[key])
            doc = states.get((fresh.tenant, key[0], key[1]))
            if doc is not None:
                restore_watch(rule, watch, doc, self._max_window)
            self.watches.put(key, watch)

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
            await publish_event(self._pubsub, alerts_channel(tr.tenant), alert_event(tr, alert.annotations))

    # -- absence ------------------------------------------------------------------------

    async def tick(self) -> None:
        """Evaluate absence rules at the current time."""
        async with self._lock:
            await self._tick()

    async def _tick(self) -> None:
        await self.refresh_rules()
        rules = [r for rs in self._rules.values() for r in rs if isinstance(r, AbsenceRule)]
        if not rules:
            return
        partitions = range(self._bus.partitions(TELEMETRY_TOPIC))
        if self._store is not None:
            # Partitions other members own: their last-seen times, from their checkpoints.
            keys = [(r.tenant, r.id, absence_slot(p)) for r in rules for p in partitions]
            others = [k for k in keys if not (k in self._seen and self._seen[k].mine)]
            for key, doc in (await self._store.load(others)).items():
                seen = self._seen.setdefault(key, LastSeen())
                if doc.get("last") is not None and (seen.last_ms is None or doc["last"] > seen.last_ms):
                    seen.last_ms = int(doc["last"])
        await self._load_absence_alerts(rules)
        now = self._clock.now_ms()
        transitions: list[tuple[AlertTransition, Alert]] = []
        for rule in rules:
            times = [s.last_ms for p in partitions if (s := self._seen.get((rule.tenant, rule.id, absence_slot(p)))) and s.last_ms is not None]
            alert = self._absence[rule.id]
            tr = evaluate_absence(rule, alert, max(times, default=None), now, self._started_ms)
            if tr is not None:
                transitions.append((tr, alert))
        await self._emit(transitions)

    async def _load_absence_alerts(self, rules: Sequence[AbsenceRule]) -> None:
        """An absence rule's alert, resumed from the repository on first use."""
        missing = {r.id: Alert.for_rule(r, r.absent_labels()) for r in rules if r.id not in self._absence}
        if not missing:
            return

        def load(uow: UnitOfWork) -> dict[str, Alert]:
            out = {}
            for rule_id, fresh in missing.items():
                stored = uow.alerts.get(fresh.tenant, fresh.fingerprint)
                out[rule_id] = stored if stored is not None and stored.rule_id == rule_id else fresh
            return out

        self._absence.update(await self._uow.run(load))

    # -- checkpoints and eviction ---------------------------------------------------------

    async def checkpoint(self) -> int:
        """Save what changed since the last checkpoint and evict idle watches; then commit
        the offsets handled so far (``run`` does this every ``checkpoint_interval_s``).
        Returns how many states were saved."""
        async with self._lock:
            return await self._checkpoint()

    async def _checkpoint(self) -> int:
        saved = await self._save(self.watches.dirty(), [k for k, s in self._seen.items() if s.dirty])
        if self._idle_ms > 0:
            await self._evict(self.watches.oldest(idle_before_ms=self._clock.now_ms() - self._idle_ms))
        if self._consumer is not None and self._uncommitted:
            await self._consumer.commit(dict(self._uncommitted))
        self._uncommitted.clear()
        self._resume.clear()
        return saved

    async def _save(self, watches: Sequence[tuple[WatchKey, Watch]], seen: Sequence[StateKey] = ()) -> int:
        if self._store is None:
            self.watches.cleaned(watches)
            return 0
        items = {}
        for i, (key, w) in enumerate(watches):
            rule = self._by_id.get(key[0])
            if isinstance(rule, (ThresholdRule, AnomalyRule)):
                items[(w.alert.tenant, key[0], key[1])] = encode_watch(rule, w)
            if i % 256 == 255:
                await asyncio.sleep(0)  # many large states: let the loop breathe between chunks
        for key in seen:
            items[key] = {"v": 1, "last": self._seen[key].last_ms}
        if items:
            await self._store.save(items, self._ttl_s)
        self.watches.cleaned(watches)
        for key in seen:
            self._seen[key].dirty = False
        return len(items)

    async def _evict(self, victims: Sequence[tuple[WatchKey, Watch]]) -> None:
        """Drop watches, saving the changed ones first (a later sample reloads them)."""
        if not victims:
            return
        await self._save([(k, w) for k, w in victims if w.dirty])
        for key, _ in victims:
            self.watches.pop(key)
        log.debug("evicted %d watches (%d remain)", len(victims), len(self.watches))

    async def release(self) -> None:
        """Before partitions leave this member (a rebalance): checkpoint, commit, and
        forget everything, so the next owner starts from our final state and we never
        act on a stale copy if a partition comes back. Messages polled before this and
        not yet handled are dropped: the bus redelivers them from the commit."""
        async with self._lock:
            await self._checkpoint()
            self.watches.clear()
            self._seen.clear()
            self._absence.clear()
            self._generation += 1

    # -- the consumer ---------------------------------------------------------------------

    async def run(self, stop: asyncio.Event, tick_interval_s: float = 1.0) -> None:
        consumer = self._consumer = await self._bus.subscribe([TELEMETRY_TOPIC], EVALUATOR_GROUP)

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

        tick_task = asyncio.create_task(ticker(), name="evaluator-tick")
        try:
            await self._consume(consumer, stop)
        finally:
            tick_task.cancel()
            await asyncio.gather(tick_task, return_exceptions=True)
            try:
                await self.checkpoint()  # a graceful stop leaves nothing to replay
            except Exception:
                log.exception("final checkpoint failed; the next member replays from the last one")
            await consumer.close()
            self._consumer = None

    async def _consume(self, consumer: Consumer, stop: asyncio.Event) -> None:
        """Poll, handle, and commit at checkpoints (without a state store: after every
        batch). A failing batch rewinds to the last checkpoint and forgets the watches,
        so what is replayed is evaluated on state that matches it; retried with backoff.
        A message that keeps failing goes to the dead letters (``PoisonGuard``: the
        batch is then handled one message at a time until it is found)."""
        interval = self._checkpoint_s if self._store is not None else 0.0
        last_checkpoint = time.monotonic()
        backoff = 0.1
        guard = PoisonGuard.of(consumer)
        while not stop.is_set():
            messages = await consumer.poll(max_records=500, timeout_s=0.2)
            # Read after the poll: a rebalance *during* it returns records of partitions
            # assigned now (valid); one between the poll and the lock makes them stale.
            generation = self._generation
            if messages:
                try:
                    async with self._lock:
                        if generation != self._generation:
                            continue  # polled before a release: re-read from the commit on reassignment
                        for m in messages:
                            self._resume.setdefault((m.topic, m.partition), m.offset)
                        done = await guard.handle(messages, self._handle)
                        for m in messages[:done]:
                            key = (m.topic, m.partition)
                            self._uncommitted[key] = max(self._uncommitted.get(key, 0), m.offset + 1)
                        if done < len(messages):  # the next one failed: replay from the checkpoint
                            raise MessageFailed(f"{len(messages) - done} of {len(messages)} messages to retry")
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("evaluator failed on %d messages; rewinding to the last checkpoint", len(messages))
                    await self._rewind(consumer)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                backoff = 0.1
            if time.monotonic() - last_checkpoint >= interval:
                try:
                    await self.checkpoint()
                    last_checkpoint = time.monotonic()
                except Exception:
                    log.exception("evaluator checkpoint failed; retrying (offsets stay uncommitted)")
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)

    async def _rewind(self, consumer: Consumer) -> None:
        async with self._lock:
            for (topic, partition), offset in self._resume.items():
                await consumer.seek(topic, partition, offset)
            self._resume.clear()
            self._uncommitted.clear()
            self.watches.clear()
            self._seen.clear()
            self._absence.clear()
