"""The incident live feed: the incident domain events the outbox holds, published on
``incidents:<tenant>`` for ``/api/v1/stream`` (the outbox handler of ``INCIDENT_EVENTS``).

Every stored change of an incident put its events in the outbox with it (the
repositories do, in the change's unit of work), so what the feed tells is exactly what
was stored, in order per incident, at least once, whoever made the change: the API,
the alert pipeline or the incident's workflow. Each message carries the event and the
incident as stored when it is published (``services.streaming.incident_event``). A
publish that fails is retried by the relay; the events after it on that incident wait.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from domain.incidents.incident import Incident
from ports.cache import PubSub
from ports.repositories import INCIDENT_EVENTS, OutboxMessage, UnitOfWork, UnitOfWorkRunner
from services.outbox import Handled
from services.streaming import incident_event, incidents_channel


class IncidentFeed:
    topic = INCIDENT_EVENTS

    def __init__(self, uow: UnitOfWorkRunner, pubsub: PubSub) -> None:
        self._uow = uow
        self._pubsub = pubsub

    async def handle(self, messages: Sequence[OutboxMessage]) -> Handled:
        wanted = sorted({(m.tenant, m.key) for m in messages})

        def load(uow: UnitOfWork) -> dict[tuple[str, str], Incident | None]:
            return {k: uow.incidents.get(*k) for k in wanted}

        incidents = await self._uow.run(load)
        handled = Handled()
        stuck: set[str] = set()
        for m in messages:
            if m.key in stuck:
                continue  # in order: after a failure on this incident, the rest waits
            doc = incident_event(m.payload, incidents[(m.tenant, m.key)])
            try:
                await self._pubsub.publish(incidents_channel(m.tenant), json.dumps(doc, separators=(",", ":")).encode())
            except Exception as exc:
                handled.failed[m.id] = f"{type(exc).__name__}: {exc}"
                stuck.add(m.key)
                continue
            handled.done.append(m.id)
        return handled
