"""A pipeline on in-memory adapters with a fake clock and a scripted notifier."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from adapters.memory.bus import MemoryBus
from tests.support.clock import FakeClock
from adapters.memory.notify import MemoryDeliveryLedger
from adapters.memory.repositories import MemoryUnitOfWorkRunner
from adapters.memory.tasks import InProcessTaskQueue
from adapters.memory.oncall import MemoryOnCallDirectory
from adapters.memory.workflows import InProcessWorkflowEngine
from domain.alerts.fingerprint import fingerprint
from domain.alerts.silences import Silence
from domain.alerts.state import AlertState, AlertTransition
from domain.identity.tenants import Tenant
from domain.metrics.labels import LabelSet
from domain.metrics.matchers import parse_matchers
from ports.notify import DeliveryResult, OutgoingNotification
from services.alerting import AlertPipeline
from services.incidents import IncidentService
from services.notifications import NotificationService
from services.outbox import OutboxRelay, OutboxSignal
from services.pipeline.config import AlertingConfig, FixedAlertingConfigs
from tests.support.outbox import incident_relay

NOW_MS = 1_800_000_000_000
TENANT = "t1"

CONFIG: dict[str, Any] = {
    "route": {
        "receiver": "default", "group_by": ["alertname"], "group_wait": "10s", "group_interval": "1m",
        "repeat_interval": "1h",
        "routes": [{"matchers": ['severity="critical"'], "receiver": "pager"}],
    },
    "receivers": [
        {"name": "default", "log_configs": [{}]},
        {"name": "pager", "webhook_configs": [{"url": "https://hooks.example/pager", "secret": "s3cret"}]},
    ],
    "inhibit_rules": [
        {"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'], "equal": ["cluster"]},
    ],
}


@dataclass
class ScriptedNotifier:
    """Serves log, webhook and slack; ``failures`` makes the next sends fail."""

    sent: list[OutgoingNotification] = field(default_factory=list)
    attempts: list[OutgoingNotification] = field(default_factory=list)
    failures: list[DeliveryResult] = field(default_factory=list)

    def channels(self) -> frozenset[str]:
        return frozenset({"log", "webhook", "slack"})

    async def send(self, notification: OutgoingNotification) -> DeliveryResult:
        self.attempts.append(notification)
        if self.failures:
            return self.failures.pop(0)
        self.sent.append(notification)
        return DeliveryResult(True, 200)


def labels(**pairs: str) -> LabelSet:
    return LabelSet.of(pairs)


@dataclass
class Harness:
    clock: FakeClock
    uow: MemoryUnitOfWorkRunner
    workflows: InProcessWorkflowEngine
    incidents: IncidentService
    tasks: InProcessTaskQueue
    notifier: ScriptedNotifier
    ledger: MemoryDeliveryLedger
    notifications: NotificationService
    pipeline: AlertPipeline
    relay: OutboxRelay
    states: dict[str, AlertState] = field(default_factory=dict)

    def transition(self, ls: LabelSet, to: AlertState, at_ms: int | None = None, rule: str = "r1") -> AlertTransition:
        fp = fingerprint(ls)
        before = self.states.get(fp, AlertState.INACTIVE)
        self.states[fp] = to
        return AlertTransition(fp, before, to, self.clock.now_ms() if at_ms is None else at_ms, ls, 1.0, TENANT, rule)

    async def fire(self, ls: LabelSet, annotations: Mapping[str, str] | None = None, **kw: Any) -> str:
        t = self.transition(ls, AlertState.FIRING, **kw)
        await self.pipeline.process(t, annotations or {"summary": f"{ls.get('alertname')} on {ls.get('host')}"})
        await self.relay.drain()
        return t.fingerprint

    async def resolve(self, ls: LabelSet, **kw: Any) -> str:
        t = self.transition(ls, AlertState.RESOLVED, **kw)
        await self.pipeline.process(t, {})
        await self.relay.drain()
        return t.fingerprint

    async def tick(self, advance_ms: int = 0) -> None:
        self.clock.advance(advance_ms)
        await self.pipeline.tick()
        await self.relay.drain()
        await self.tasks.drain()

    async def silence(self, matchers: str, minutes: int = 60, sid: str = "s1", **kw: Any) -> Silence:
        now = self.clock.now_ms()
        s = Silence(id=sid, tenant=TENANT, matchers=parse_matchers(matchers), starts_at_ms=now,
                    ends_at_ms=now + minutes * 60_000, created_by="ops", comment="planned work", **kw)
        await self.uow.run(lambda uow: uow.silences.add(s))
        return s

    async def history(self, fp: str) -> list[tuple[str, str]]:
        found = await self.uow.run(lambda uow: uow.history.for_alert(TENANT, fp))
        return [(d.stage.value, d.outcome.value) for d in found]

    def told(self) -> list[tuple[str, list[str], list[str]]]:
        """(channel, firing alertnames/hosts, resolved ones) per message sent."""
        out = []
        for n in self.notifier.sent:
            alerts = n.payload["alerts"]
            out.append((n.channel, sorted(a["labels"].get("host", "") for a in alerts if a["status"] == "firing"),
                        sorted(a["labels"].get("host", "") for a in alerts if a["status"] == "resolved")))
        return out

    def restart(self) -> AlertPipeline:
        self.pipeline = AlertPipeline(MemoryBus(), self.uow, self.incidents, self.notifications, self.tasks, self.clock)
        return self.pipeline


def make_harness(config: Mapping[str, Any] | None = None, clock: FakeClock | None = None) -> Harness:
    clock = clock or FakeClock(NOW_MS)
    uow = MemoryUnitOfWorkRunner()
    uow.run_sync(lambda u: u.tenants.add(Tenant(TENANT, "Tenant one")))
    workflows = InProcessWorkflowEngine()
    signal = OutboxSignal()
    incidents = IncidentService(uow, workflows, clock, outbox=signal)
    tasks = InProcessTaskQueue(base_backoff_s=0.001)
    notifier = ScriptedNotifier()
    ledger = MemoryDeliveryLedger()
    notifications = NotificationService(uow, notifier, ledger, FixedAlertingConfigs(AlertingConfig.from_dict(config or CONFIG)),
                                        clock, tasks, MemoryOnCallDirectory(), max_retries=3)
    pipeline = AlertPipeline(MemoryBus(), uow, incidents, notifications, tasks, clock)
    relay = incident_relay(uow, clock, workflows, incidents, signal)
    return Harness(clock, uow, workflows, incidents, tasks, notifier, ledger, notifications, pipeline, relay)


@pytest.fixture
def h() -> Harness:
    return make_harness()
