"""Alert use cases: rules and silences management, alert listing, and the pipeline
that turns alert transitions into incidents.

The pipeline here runs dedup → silences → incident. Inhibition, grouping, routing and
notification stages join it in the alerting issue; each stage records its decision.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from domain.alerts.rules import ALERTNAME
from domain.alerts.silences import Silence
from domain.alerts.state import Alert, AlertState, AlertTransition
from domain.errors import NotFound, ValidationError
from domain.incidents.incident import Severity
from ports.bus import ALERTS_TOPIC, Message, MessageBus
from ports.clock import Clock
from ports.repositories import AlertRule, UnitOfWork, UnitOfWorkRunner
from services.codec import decode_transition
from services.consumer_loop import run_consumer
from services.incidents import IncidentService

log = logging.getLogger(__name__)
PIPELINE_GROUP = "pipeline"
DEFAULT_SEVERITY = Severity.SEV3


@dataclass(frozen=True, slots=True)
class PipelineDecision:
    """What the pipeline did with one transition, and why."""

    fingerprint: str
    to_state: str
    at_ms: int
    outcome: str  # "incident_opened", "incident_updated", "silenced", "duplicate", "resolved", "ignored"
    detail: str = ""


def incident_key(t: AlertTransition) -> str:
    """Alerts of one rule with the same name share an incident (like one alert group)."""
    return f"rule:{t.rule_id}:{t.labels.get(ALERTNAME)}"


class AlertPipeline:
    def __init__(self, bus: MessageBus, uow: UnitOfWorkRunner, incidents: IncidentService, *, keep_decisions: int = 1000) -> None:
        self._bus = bus
        self._uow = uow
        self._incidents = incidents
        self._last: dict[tuple[str, str], tuple[int, str]] = {}  # (tenant, fp) -> (at, state)
        self.decisions: list[PipelineDecision] = []
        self._keep = keep_decisions

    def _decide(self, d: PipelineDecision) -> None:
        self.decisions.append(d)
        del self.decisions[: -self._keep]

    async def handle(self, messages: Sequence[Message]) -> None:
        for m in messages:
            t, annotations = decode_transition(m.value)
            await self.process(t, dict(annotations))

    async def process(self, t: AlertTransition, annotations: dict[str, str]) -> PipelineDecision:
        # 1. dedup: the bus delivers at least once; a transition already handled is skipped.
        key = (t.tenant, t.fingerprint)
        last = self._last.get(key)
        if last is not None and (t.at_ms, t.to_state.value) <= last:
            d = PipelineDecision(t.fingerprint, t.to_state.value, t.at_ms, "duplicate")
            self._decide(d)
            return d
        self._last[key] = (t.at_ms, t.to_state.value)

        if t.to_state is AlertState.FIRING:
            # 2. silences
            silences = await self._uow.run(lambda uow: uow.silences.list(t.tenant))
            muting = next((s for s in silences if s.mutes(t.labels, t.at_ms)), None)
            if muting is not None:
                d = PipelineDecision(t.fingerprint, "firing", t.at_ms, "silenced", f"silence {muting.id}: {muting.comment}")
                self._decide(d)
                return d
            # 3. incident
            severity = _severity(t.labels.get("severity"))
            title = annotations.get("summary") or f"{t.labels.get(ALERTNAME)} firing"
            incident, opened = await self._incidents.open_or_attach(
                t.tenant, incident_key(t), t.fingerprint, title, severity, t.at_ms, annotations.get("description", "")
            )
            d = PipelineDecision(t.fingerprint, "firing", t.at_ms, "incident_opened" if opened else "incident_updated", incident.id)
        elif t.to_state is AlertState.RESOLVED:
            await self._incidents.note_alert_resolved(t.tenant, incident_key(t), t.fingerprint, t.at_ms)
            d = PipelineDecision(t.fingerprint, "resolved", t.at_ms, "resolved")
        else:
            d = PipelineDecision(t.fingerprint, t.to_state.value, t.at_ms, "ignored", "only firing and resolved alerts act")
        self._decide(d)
        return d

    async def run(self, stop: asyncio.Event) -> None:
        consumer = await self._bus.subscribe([ALERTS_TOPIC], PIPELINE_GROUP)
        try:
            await run_consumer(consumer, self.handle, stop)
        finally:
            await consumer.close()


def _severity(text: str) -> Severity:
    if not text:
        return DEFAULT_SEVERITY
    try:
        return Severity.parse(text)
    except ValidationError:
        return DEFAULT_SEVERITY


class AlertService:
    def __init__(self, uow: UnitOfWorkRunner, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def alerts(self, tenant: str, states: Sequence[str] = ()) -> list[Alert]:
        return await self._uow.run(lambda uow: uow.alerts.list(tenant, states))

    async def rules(self, tenant: str) -> list[AlertRule]:
        return await self._uow.run(lambda uow: uow.rules.list(tenant))

    async def add_rule(self, rule: AlertRule) -> AlertRule:
        await self._uow.run(lambda uow: uow.rules.add(rule))
        return rule

    async def remove_rule(self, tenant: str, rule_id: str) -> None:
        if not await self._uow.run(lambda uow: uow.rules.remove(tenant, rule_id)):
            raise NotFound(f"no rule {rule_id!r}")

    async def silences(self, tenant: str) -> list[Silence]:
        return await self._uow.run(lambda uow: uow.silences.list(tenant))

    async def add_silence(self, silence: Silence) -> Silence:
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
