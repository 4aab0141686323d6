"""The incident workflow's activities: thin wrappers over services, the only I/O.

Each one is safe to run again: loading and freezing only read; ``persist`` writes by
version (an old snapshot changes nothing); ``page`` and ``notify`` queue deliveries on
the one delivery path with idempotency keys the workflow derived from its own state
(queuing a key twice queues it once; the delivery ledger makes sure it is sent once),
so a retry after a worker died reaches nobody twice. Whether it arrived is the
delivery audit's to say (``/api/v1/notifications/deliveries?incident=...``).
"""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from services.delivery_jobs import DeliveryReceipt, UserMessage
from services.escalation import EscalationService, PageRequest, PageResult
from services.incident_projection import IncidentProjection, TimelineGap
from services.notifications import NotificationService


class IncidentActivities:
    def __init__(self, projection: IncidentProjection, escalation: EscalationService) -> None:
        self._projection = projection
        self._escalation = escalation

    @activity.defn(name="incident.load")
    async def load(self, tenant: str, incident_id: str) -> dict[str, Any]:
        found = await self._projection.load(tenant, incident_id)
        if found is None:  # retried: the row may not be visible to this worker yet
            raise ApplicationError(f"no incident {incident_id!r} in tenant {tenant!r}", type="NotFound")
        return found

    @activity.defn(name="incident.freeze_escalation")
    async def freeze_escalation(self, tenant: str, severity: str) -> dict[str, Any]:
        return await self._escalation.freeze(tenant, severity)

    @activity.defn(name="incident.page")
    async def page(self, req: PageRequest) -> list[PageResult]:
        return await self._escalation.page(req)

    @activity.defn(name="incident.persist")
    async def persist(self, snapshot: dict[str, Any], events: list[dict[str, Any]] | None = None) -> bool:
        """Store the snapshot and the domain events of its changes (histories recorded
        before events were passed have none). A partial snapshot the row cannot take is
        refused for good (``TimelineGap``): the workflow sends the whole one."""
        try:
            return await self._projection.store(snapshot, events)
        except TimelineGap as e:
            raise ApplicationError(str(e), type="TimelineGap", non_retryable=True) from e


class NotifyActivities:
    def __init__(self, notifications: NotificationService) -> None:
        self._notifications = notifications

    @activity.defn(name="notify.user")
    async def notify(self, msg: UserMessage) -> DeliveryReceipt:
        return await self._notifications.queue(msg.job())
