"""The PromQL rule manager: Prometheus' rule manager over our ports.

Every group is evaluated on its own interval, at slots offset by a hash of the group
(so groups spread over the interval), the first slot after it was loaded, skipping
slots it missed. An evaluation runs the group's rules in order (``evaluation.py``);
then, in this order, its samples (recorded series, ``ALERTS``, ``ALERTS_FOR_STATE``,
staleness markers) go **through the ingest path** as one batch, the alerts whose state
moved are saved, their transitions are published on the alerts topic in the format the
streaming evaluator uses (so the same pipeline turns them into notifications and
incidents), and the group's status is saved where the API reads it.

Alert state survives restarts: alerts are the repository's ``Alert`` entities, saved
whenever their state or timers move (pending since, keep firing since), and loaded
when a group is first seen. Groups are spread over ``shards`` processes by a hash of
their identity; each process evaluates those of its ``shard``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence

from domain.alerts.alerting_rules import AlertingRuleState
from domain.alerts.rule_groups import AlertingRule, RuleGroup
from domain.alerts.state import Alert, AlertState, AlertTransition
from domain.errors import DomainError
from domain.metrics.labels import DEFAULT_LIMITS, LabelLimits
from ports.bus import ALERTS_TOPIC, MessageBus
from ports.cache import PubSub
from ports.clock import Clock
from ports.repositories import UnitOfWork, UnitOfWorkRunner
from ports.state import EvaluatorStateStore, StateKey
from services.codec import encode_transition
from services.ingest import IngestService, RawSeries
from services.promql.engine import PromQLEngine
from services.promrules.evaluation import STALE_NAN, GroupEvaluator, GroupOutput, GroupRuntime
from services.promrules.overlay import RecordedOverlay
from services.streaming import alert_event, alerts_channel, publish_event

log = logging.getLogger(__name__)
STATUS_SLOT = -1
_LIVE = [AlertState.PENDING.value, AlertState.FIRING.value, AlertState.RESOLVED.value]


def status_key(tenant: str, group: str) -> StateKey:
    return (tenant, f"rule-group:{group}", STATUS_SLOT)


def shard_of(group: RuleGroup, shards: int) -> int:
    """Which of ``shards`` rule processes evaluates ``group``."""
    return group.identity_hash() % shards


class RuleManager:
    def __init__(
        self, uow: UnitOfWorkRunner, engine: PromQLEngine, overlay: RecordedOverlay, ingest: IngestService,
        bus: MessageBus, clock: Clock, *, pubsub: PubSub | None = None, state: EvaluatorStateStore | None = None,
        default_interval_ms: int = 60_000, external_labels: Mapping[str, str] | None = None, external_url: str = "",
        shard: int = 0, shards: int = 1, refresh_s: float = 5.0, label_limits: LabelLimits = DEFAULT_LIMITS,
        concurrency: int = 4,
    ) -> None:
        self._uow = uow
        self._overlay = overlay
        self._ingest = ingest
        self._bus = bus
        self._clock = clock
        self._pubsub = pubsub
        self._state = state
        self.default_interval_ms = default_interval_ms
        self._shard, self._shards = shard, shards
        self._refresh_ms = int(refresh_s * 1000)
        self._limits = label_limits
        self._evaluator = GroupEvaluator(engine, overlay, external_labels=external_labels, external_url=external_url)
        self._slots = asyncio.Semaphore(concurrency)
        self.groups: dict[tuple[str, str], GroupRuntime] = {}
        self._refreshed_ms: int | None = None

    # -- loading groups ---------------------------------------------------------------------

    def on_groups_changed(self, tenant: str) -> None:
        """The ``ConfigWatcher``'s reloader for kind ``rule_groups``: refresh at the next turn
        of the loop (within a second) instead of after ``refresh_s``."""
        self._refreshed_ms = None

    async def refresh(self) -> None:
        """Take up added, changed and removed groups (removed rules' alerts end). The
        stored alerts of new alerting rules are read before anything changes, so a
        failed read leaves the groups as they were, to be taken up next time."""
        groups = [g for g in await self._uow.run(lambda u: u.rule_groups.list())
                  if shard_of(g, self._shards) == self._shard]
        wanted = {g.key: g for g in groups}
        changed = {key: g for key, g in wanted.items() if key not in self.groups or self.groups[key].group != g}
        new_rules = {key: [rid for rid, r in zip(g.rule_ids(), g.rules) if isinstance(r, AlertingRule)
                           and (key not in self.groups or rid not in self.groups[key].alerting)]
                     for key, g in changed.items()}
        stored = await self._stored_alerts({key[0] for key, ids in new_rules.items() if ids})
        now = self._clock.now_ms()
        endings: dict[str, GroupOutput] = {}
        for key in [k for k in self.groups if k not in wanted]:
            rt = self.groups.pop(key)
            self._stop_rules(rt, set(), now, endings.setdefault(rt.group.tenant, GroupOutput()))
            if self._state is not None:
                await self._state.delete([status_key(*key)])
        for key, group in changed.items():
            ids = group.rule_ids()
            rt = self.groups.get(key)
            if rt is None:
                rt = self.groups[key] = GroupRuntime(group, ids)
            else:
                self._stop_rules(rt, set(ids), now, endings.setdefault(group.tenant, GroupOutput()))
                rt.group, rt.rule_ids = group, ids
            for rid, rule in zip(ids, group.rules):
                if not isinstance(rule, AlertingRule):
                    continue
                if rid in rt.alerting:
                    rt.alerting[rid].rule = rule  # an edited rule keeps its alerts
                else:
                    mine = [a for a in stored.get(group.tenant, []) if a.rule_id == rid]
                    rt.alerting[rid] = AlertingRuleState(group.tenant, rid, rule, mine, limits=self._limits)
        self._refreshed_ms = now
        for tenant, out in endings.items():
            await self._finish(tenant, out)

    @staticmethod
    def _stop_rules(rt: GroupRuntime, keep: set[str], now: int, out: GroupOutput) -> None:
        """End the alerts and the series of ``rt``'s rules whose ids are not in ``keep``."""
        for rid in [r for r in rt.alerting if r not in keep]:
            ended = rt.alerting.pop(rid).stop(now)
            out.transitions += ended.transitions
            out.changed += ended.changed
        for rid in [r for r in rt.previous if r not in keep]:
            out.samples += [(name, labels, STALE_NAN) for name, labels in rt.previous.pop(rid)]

    async def _stored_alerts(self, tenants: set[str]) -> dict[str, list[Alert]]:
        """The stored live alerts of ``tenants`` (pending since, keep firing since)."""
        if not tenants:
            return {}

        def load(uow: UnitOfWork) -> dict[str, list[Alert]]:
            return {t: uow.alerts.list(t, _LIVE) for t in tenants}

        return await self._uow.run(load)

    # -- evaluating ---------------------------------------------------------------------------

    def interval_ms(self, group: RuleGroup) -> int:
        return group.interval(self.default_interval_ms)

    async def evaluate_due(self) -> list[GroupRuntime]:
        """Evaluate every group whose slot has come (at its latest slot); the groups evaluated."""
        now = self._clock.now_ms()
        due = []
        for rt in self.groups.values():
            interval = self.interval_ms(rt.group)
            if rt.next_ms is None:
                rt.next_ms = rt.group.evaluation_time(now, interval) + interval
            if now >= rt.next_ms:
                due.append((rt, rt.group.evaluation_time(now, interval)))
        outcomes = await asyncio.gather(*(self._evaluate(rt, ts) for rt, ts in due), return_exceptions=True)
        for (rt, _), outcome in zip(due, outcomes):
            if isinstance(outcome, BaseException):  # its next slot retries; the other groups went on
                log.error("rule group %r of tenant %r failed", rt.group.name, rt.group.tenant, exc_info=outcome)
        return [rt for rt, _ in due]

    async def evaluate(self, group: RuleGroup, ts: int) -> GroupRuntime:
        """Evaluate ``group`` (already loaded) at ``ts`` now, whatever its schedule."""
        rt = self.groups[group.key]
        await self._evaluate(rt, ts)
        return rt

    async def _evaluate(self, rt: GroupRuntime, ts: int) -> None:
        interval = self.interval_ms(rt.group)
        rt.next_ms = ts + interval  # whatever happens below, the group waits for its next slot
        async with self._slots:
            out = await self._evaluator.evaluate(rt, ts, timeout_s=interval / 1000)
            write_error = await self._finish(rt.group.tenant, out)
        if write_error:
            rt.status = rt.status.with_error(write_error)
        if self._state is not None:
            ttl = max(3600.0, 10 * interval / 1000)
            try:
                await self._state.save({status_key(*rt.group.key): rt.status.document()}, ttl)
            except Exception:
                log.warning("could not save the status of rule group %r", rt.group.name, exc_info=True)
        self._overlay.expire(self._clock.now_ms())

    async def _finish(self, tenant: str, out: GroupOutput) -> str:
        """Write the samples (through ingest), save the alerts that moved, publish their
        transitions. Returns why the samples were not written ("" if they were)."""
        error = ""
        if out.samples:
            at = out.at_ms if out.at_ms is not None else self._clock.now_ms()
            raw = [RawSeries(name, dict(labels), [[at, value]], origin=f"rule output {name}")
                   for name, labels, value in out.samples]
            try:
                await self._ingest.ingest(tenant, raw)
            except DomainError as exc:
                error = f"writing the rules' output failed: {getattr(exc, 'message', None) or exc}"
                log.warning("rule output of tenant %r not written: %s", tenant, error)
        if out.changed:
            def save(uow: UnitOfWork) -> None:
                for alert in out.changed:
                    uow.alerts.save(alert)

            await self._uow.run(save)
        await self._publish(out.transitions)
        return error

    async def _publish(self, transitions: Sequence[tuple[AlertTransition, Alert]]) -> None:
        for tr, alert in transitions:
            await self._bus.publish(ALERTS_TOPIC, tr.fingerprint.encode(), encode_transition(tr, alert.annotations))
            await publish_event(self._pubsub, alerts_channel(tr.tenant), alert_event(tr, alert.annotations))

    # -- the loop ---------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Refresh the groups every ``refresh_s`` and evaluate them when due, until ``stop``."""
        while not stop.is_set():
            now = self._clock.now_ms()
            try:
                if self._refreshed_ms is None or now - self._refreshed_ms >= self._refresh_ms:
                    await self.refresh()
                await self.evaluate_due()
            except Exception:
                log.exception("rule evaluation failed; retrying")
            due = [rt.next_ms for rt in self.groups.values() if rt.next_ms is not None]
            wait_ms = min([*(d - self._clock.now_ms() for d in due), self._refresh_ms, 1000])
            try:
                await asyncio.wait_for(stop.wait(), max(wait_ms, 10) / 1000)
            except TimeoutError:
                pass
