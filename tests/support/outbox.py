"""The outbox relay the way the composition root builds it, for tests that wire the
services by hand: the calls for the incidents' workflows and the incident live feed."""

from __future__ import annotations

from adapters.memory.cache import MemoryPubSub
from ports.cache import PubSub
from ports.clock import Clock
from ports.repositories import UnitOfWorkRunner
from ports.workflows import WorkflowEngine
from services.incident_dispatch import IncidentCalls
from services.incident_feed import IncidentFeed
from services.incidents import IncidentService
from services.outbox import OutboxRelay, OutboxSignal


def incident_relay(uow: UnitOfWorkRunner, clock: Clock, workflows: WorkflowEngine, incidents: IncidentService,
                   signal: OutboxSignal, pubsub: PubSub | None = None) -> OutboxRelay:
    handlers = [IncidentCalls(workflows, incidents, uow, clock), IncidentFeed(uow, pubsub or MemoryPubSub())]
    return OutboxRelay(uow, clock, handlers, signal)
