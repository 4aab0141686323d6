from __future__ import annotations

from dataclasses import dataclass

import pytest

from adapters.memory.bus import MemoryBus
from adapters.memory.cache import MemoryLatestValueCache, MemoryPubSub, MemoryRateLimiter
from tests.support.clock import FakeClock
from adapters.memory.notify import LogNotifier, MemoryDeliveryLedger
from adapters.memory.repositories import MemoryUnitOfWorkRunner
from adapters.memory.samples import MemorySampleStore
from adapters.memory.tasks import InProcessTaskQueue
from adapters.memory.oncall import MemoryOnCallDirectory
from adapters.memory.workflows import InProcessWorkflowEngine
from ports.bus import ALERTS_TOPIC, TELEMETRY_TOPIC
from services.alerting import AlertPipeline, AlertService
from services.evaluator import RuleEvaluator
from services.incidents import IncidentService
from services.ingest import IngestLimits, IngestService, RawSeries
from services.notifications import NotificationService
from services.outbox import OutboxRelay, OutboxSignal
from services.pipeline.config import AlertingConfig, FixedAlertingConfigs
from tests.support.outbox import incident_relay
from services.writer import SampleWriter

NOW_MS = 1_800_000_000_000


@dataclass
class System:
    """The services of the slice wired on in-memory adapters, driven step by step."""

    clock: FakeClock
    bus: MemoryBus
    uow: MemoryUnitOfWorkRunner
    store: MemorySampleStore
    workflows: InProcessWorkflowEngine
    ingest: IngestService
    writer: SampleWriter
    evaluator: RuleEvaluator
    pipeline: AlertPipeline
    incidents: IncidentService
    alerts: AlertService
    tasks: InProcessTaskQueue
    notifier: LogNotifier
    notifications: NotificationService
    relay: OutboxRelay

    def new_pipeline(self) -> AlertPipeline:
        """Another pipeline process on the same bus, store and queue (a restart)."""
        return AlertPipeline(self.bus, self.uow, self.incidents, self.notifications, self.tasks, self.clock)

    async def tick(self) -> None:
        """One pipeline clock tick, and every delivery task it queued run to the end."""
        await self.pipeline.tick()
        await self.relay.drain()
        await self.tasks.drain()

    async def send(self, name: str, labels: dict[str, str], samples: list[tuple[int, float]]) -> None:
        await self.ingest.ingest("t1", [RawSeries(name, labels, [list(s) for s in samples])])

    async def step(self, group_suffix: str = "") -> None:
        """Deliver everything on the bus to writer, evaluator and pipeline, committing after."""
        for topic, group, handler in (
            (TELEMETRY_TOPIC, "writer", self.writer.handle),
            (TELEMETRY_TOPIC, "evaluator" + group_suffix, self.evaluator.handle),
            (ALERTS_TOPIC, "pipeline" + group_suffix, self.pipeline.handle),
        ):
            consumer = await self.bus.subscribe([topic], group)
            msgs = await consumer.poll(timeout_s=0.01)
            if msgs:
                await handler(msgs)
                await consumer.commit({(m.topic, m.partition): m.offset + 1 for m in msgs})
            await consumer.close()
        await self.relay.drain()


def make_system(
    clock: FakeClock | None = None, uow: MemoryUnitOfWorkRunner | None = None, config: AlertingConfig | None = None
) -> System:
    clock = clock or FakeClock(NOW_MS)
    bus = MemoryBus(partitions=2)
    uow = uow or MemoryUnitOfWorkRunner()
    store = MemorySampleStore()
    workflows = InProcessWorkflowEngine()
    signal = OutboxSignal()
    incidents = IncidentService(uow, workflows, clock, outbox=signal)
    tasks = InProcessTaskQueue(base_backoff_s=0.001)
    notifier = LogNotifier()
    notifications = NotificationService(uow, notifier, MemoryDeliveryLedger(), FixedAlertingConfigs(config or AlertingConfig.default()),
                                        clock, tasks, MemoryOnCallDirectory())
    return System(
        clock=clock, bus=bus, uow=uow, store=store, workflows=workflows,
        ingest=IngestService(bus, clock, MemoryRateLimiter(), IngestLimits()),
        writer=SampleWriter(bus, store, MemoryLatestValueCache(), MemoryPubSub()),
        evaluator=RuleEvaluator(bus, uow, clock),
        pipeline=AlertPipeline(bus, uow, incidents, notifications, tasks, clock),
        incidents=incidents,
        alerts=AlertService(uow, clock),
        tasks=tasks,
        notifier=notifier,
        notifications=notifications,
        relay=incident_relay(uow, clock, workflows, incidents, signal),
    )


@pytest.fixture
def system() -> System:
    return make_system()
