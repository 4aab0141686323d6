"""The incident workflow's activities: thin wrappers over services, the only I/O.

Each one is safe to run again: loading and freezing only read; ``persist`` writes by
version (an old snapshot changes nothing); ``page`` and ``notify`` send with
idempotency keys the workflow derived from its own state and check the delivery
ledger first, so a retry after a worker died mid-send reaches nobody twice.
"""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from services.escalation import EscalationService, PageRequest, PageResult
from services.incident_projection import IncidentProjection
from services.user_notifications import Delivery, DeliveryFailed, UserMessage, UserNotifications


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
        try:
            return await self._escalation.page(req)
        except DeliveryFailed as e:
            raise ApplicationError(str(e), type="DeliveryFailed") from e

    @activity.defn(name="incident.persist")
    async def persist(self, snapshot: dict[str, Any]) -> bool:
        return await self._projection.store(snapshot)


class NotifyActivities:
    def __init__(self, notifications: UserNotifications) -> None:
        self._notifications = notifications

    @activity.defn(name="notify.user")
    async def notify(self, msg: UserMessage) -> Delivery:
        try:
            return await self._notifications.to_user(msg)
        except DeliveryFailed as e:
            raise ApplicationError(str(e), type="DeliveryFailed") from e
