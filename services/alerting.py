"""Alert use cases: rules and silences management, alert listing and history, and the
alert pipeline that turns alert transitions into incidents and notifications.

The pipeline is one list of stages (``services/pipeline/``), each of the same shape
(``process(ctx, events) -> events``), run in order on three kinds of pass::

    remute → dedup → silence → inhibit → incident → route → group → mute resolved → notify

* a batch of transitions from the alerts topic (arrival): dedup to group;
* a tick of the clock (``tick``, about every second from ``run``): the mutes of the
  firing alerts are looked at again (a silence that ended, an inhibiting alert that
  resolved), their incidents and groups follow, the groups that are due flush, muted
  resolutions are left out, and the notifications are queued;
* the restore after a restart: the stored firing alerts back into their groups.

A stage takes part in the kinds of pass it names (``passes``). Every decision is
recorded as an ``AlertDecision`` and stored, so an alert's history can be read back
through the API. The incident stage never waits on the workflow engine: what the
incidents' workflows must hear is left in the outbox (docs/adr/0014-one-alert-path.md).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import secrets
from collections.abc import Mapping, Sequence

from domain.alerts.history import AlertDecision
from domain.alerts.silences import Silence, SilenceLimits
from domain.alerts.state import Alert, AlertState, AlertTransition
from domain.errors import NotFound
from ports.bus import ALERTS_TOPIC, Message, MessageBus
from ports.cache import PubSub
from ports.clock import Clock
from ports.repositories import AlertRule, UnitOfWork, UnitOfWorkRunner
from ports.tasks import TaskQueue
from services.codec import decode_transition
from services.consumer_loop import run_consumer
from services.incidents import IncidentService
from services.notifications import NotificationService
from services.pipeline.dedup import DedupStage
from services.pipeline.group import GroupStage
from services.pipeline.incident import IncidentStage
from services.pipeline.inhibit import InhibitStage
from services.pipeline.model import AlertEvent, AlertStore, Context, LiveAlert, PassKind, PipelineStage
from services.pipeline.notify import NotifyStage
from services.pipeline.remute import RemuteStage, ResolvedMuteStage
from services.pipeline.route import RouteStage
from services.pipeline.silence import SilenceStage
from services.config_changes import announce

log = logging.getLogger(__name__)
PIPELINE_GROUP = "pipeline"


class AlertPipeline:
    """The stages, composed, with their clock. One instance per pipeline consumer (its
    groups and alert store are in memory; ``restore`` rebuilds them after a restart)."""

    def __init__(
        self, bus: MessageBus, uow: UnitOfWorkRunner, incidents: IncidentService, notifications: NotificationService,
        tasks: TaskQueue, clock: Clock, *, keep_decisions: int = 1000, resolved_retention_ms: int = 3_600_000,
        tick_interval_s: float = 1.0,
    ) -> None:
        self._bus = bus
        self._uow = uow
        self._clock = clock
        configs = notifications.configs  # the notification service registered its task on ``tasks``
        self.store = AlertStore()
        self.dedup = DedupStage(self.store)
        self.silence = SilenceStage(uow)
        self.inhibit = InhibitStage(self.store, configs)
        self.group = GroupStage()
        self.notify = NotifyStage(configs, self.store, tasks)
        self.stages: tuple[PipelineStage, ...] = (
            RemuteStage(self.store, self.silence, self.inhibit), self.dedup, self.silence, self.inhibit,
            IncidentStage(incidents), RouteStage(configs), self.group, ResolvedMuteStage(self.silence, self.inhibit),
            self.notify,
        )
        self.decisions: collections.deque[AlertDecision] = collections.deque(maxlen=keep_decisions)
        self._retention_ms = resolved_retention_ms
        self._tick_interval_s = tick_interval_s
        self._lock = asyncio.Lock()  # arrivals and ticks share the stages, which are not re-entrant

    async def _pass(self, kind: PassKind, events: list[AlertEvent]) -> list[AlertDecision]:
        async with self._lock:
            ctx = Context(self._clock.now_ms(), kind)
            try:
                for stage in self.stages:
                    if kind in stage.passes:
                        events = await stage.process(ctx, events)
            except BaseException:
                self.dedup.undo(ctx)  # the batch will be redelivered: it must not look processed
                raise
            await self._commit(ctx)
            if kind is PassKind.TICK:
                self.store.expire(ctx.now_ms, self._retention_ms)
            return ctx.decisions

    # -- arrival ----------------------------------------------------------------------

    async def handle(self, messages: Sequence[Message]) -> None:
        events = []
        for m in messages:
            t, annotations = decode_transition(m.value)
            events.append(AlertEvent.incoming(t, dict(annotations)))
        await self._pass(PassKind.ARRIVAL, events)

    async def process(self, t: AlertTransition, annotations: Mapping[str, str]) -> list[AlertDecision]:
        """One transition through the stages; the decisions taken about it."""
        return await self._pass(PassKind.ARRIVAL, [AlertEvent.incoming(t, annotations)])

    # -- the clock --------------------------------------------------------------------

    async def tick(self) -> list[AlertDecision]:
        """Re-check mutes, flush due groups, queue their notifications."""
        return await self._pass(PassKind.TICK, [])

    async def _commit(self, ctx: Context) -> None:
        """Store the pass's decisions and audit rows, then queue its deliveries.

        A failure to store is logged and the deliveries are queued anyway: paging
        someone matters more than the history of it (the worker writes the audit row
        again when it runs).
        """
        if ctx.decisions or ctx.deliveries:

            def work(uow: UnitOfWork) -> None:
                uow.history.add(ctx.decisions)
                for d in ctx.deliveries:
                    uow.deliveries.add_if_absent(d)

            try:
                await self._uow.run(work)
            except Exception:
                log.exception("could not store %d alert decisions", len(ctx.decisions))
        self.decisions.extend(ctx.decisions)
        await self.notify.dispatch(ctx.jobs)

    # -- restart ----------------------------------------------------------------------

    async def restore(self) -> int:
        """Rebuild the alert store and the groups from the stored firing alerts.

        Incidents are not touched (they were handled when the alerts fired) and dedup
        marks are not set (a transition published but not yet processed when we stopped
        must still go through). Each restored group notifies after its ``group_wait``.
        """

        def load(uow: UnitOfWork) -> list[Alert]:
            return [a for t in uow.tenants.list() for a in uow.alerts.list(t.id, [AlertState.FIRING.value])]

        stored = await self._uow.run(load)
        events = []
        for a in stored:
            if self.store.get(a.tenant, a.fingerprint) is not None:
                continue
            live = LiveAlert(a.tenant, a.fingerprint, a.labels, AlertState.FIRING, dict(a.annotations), a.rule_id,
                             a.fired_at_ms, self._clock.now_ms())
            self.store.put(live)
            events.append(AlertEvent(live, AlertState.FIRING, a.fired_at_ms or 0, restored=True))
        if events:
            await self._pass(PassKind.RESTORE, events)
            log.info("restored %d firing alerts into %d groups", len(events), len(self.group))
        return len(events)

    async def run(self, stop: asyncio.Event, tick_interval_s: float | None = None) -> None:
        interval = tick_interval_s or self._tick_interval_s
        await self.restore()
        consumer = await self._bus.subscribe([ALERTS_TOPIC], PIPELINE_GROUP)

        async def ticker() -> None:
            while not stop.is_set():
                try:
                    await self.tick()
                except Exception:
                    log.exception("alert pipeline tick failed")
                try:
                    await asyncio.wait_for(stop.wait(), interval)
                except TimeoutError:
                    pass

        tick_task = asyncio.create_task(ticker(), name="pipeline-tick")
        try:
            await run_consumer(consumer, self.handle, stop)
        finally:
            tick_task.cancel()
            await asyncio.gather(tick_task, return_exceptions=True)
            await consumer.close()


class AlertService:
    """Rules, silences and alerts. A rule change is announced (``config_changed``, kind
    ``rules``), so the evaluators read the rules again at once (not at their next
    refresh). The versioned, audited management of rules is ``services.rules.RuleService``."""

    def __init__(self, uow: UnitOfWorkRunner, clock: Clock, silence_limits: SilenceLimits = SilenceLimits(),
                 pubsub: PubSub | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._silence_limits = silence_limits
        self._pubsub = pubsub

    async def _rules_changed(self, tenant: str) -> None:
        await announce(self._pubsub, tenant, "rules")

    async def alerts(self, tenant: str, states: Sequence[str] = ()) -> list[Alert]:
        return await self._uow.run(lambda uow: uow.alerts.list(tenant, states))

    async def history(self, tenant: str, fingerprint: str, limit: int = 200) -> list[AlertDecision]:
        """Every decision the pipeline took about the alert, oldest first."""
        return await self._uow.run(lambda uow: uow.history.for_alert(tenant, fingerprint, limit))

    async def rules(self, tenant: str) -> list[AlertRule]:
        return await self._uow.run(lambda uow: uow.rules.list(tenant))

    async def add_rule(self, rule: AlertRule) -> AlertRule:
        await self._uow.run(lambda uow: uow.rules.add(rule))
        await self._rules_changed(rule.tenant)
        return rule

    async def remove_rule(self, tenant: str, rule_id: str) -> None:
        if not await self._uow.run(lambda uow: uow.rules.remove(tenant, rule_id)):
            raise NotFound(f"no rule {rule_id!r}")
        await self._rules_changed(tenant)

    async def silences(self, tenant: str) -> list[Silence]:
        return await self._uow.run(lambda uow: uow.silences.list(tenant))

    async def add_silence(self, silence: Silence) -> Silence:
        """Store a new silence; one over the configured lengths is refused (``LimitExceeded``)."""
        self._silence_limits.check(silence)
        await self._uow.run(lambda uow: uow.silences.add(silence))
        return silence

    async def expire_silence(self, tenant: str, silence_id: str) -> Silence:
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> Silence:
            s = uow.silences.get(tenant, silence_id)
            if s is None:
                raise NotFound(f"no silence {silence_id!r}")
            s.expire(now)
            uow.silences.save(s)
            return s

        return await self._uow.run(work)


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6)}"
