"""``POST /api/v1/receivers/{name}/test``: a real notification to every channel of a
receiver, through the one delivery path (the task queue, the ledger, the retry policy
and the delivery audit of services/notifications.py), so what the test shows is what a
page would do. Each test is its own alert group (a fresh key): never deduplicated away.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from domain.alerts.fingerprint import fingerprint
from domain.alerts.grouping import GroupedAlert, GroupNotification
from domain.errors import NotFound, ValidationError
from domain.metrics.labels import LabelSet
from domain.notifications.templates import AlertView
from ports.clock import Clock
from services.delivery_jobs import build_job
from services.identity.audit import Actor
from services.notifications import NotificationService
from services.pipeline.config import AlertingConfigs

TEST_ALERTNAME = "ObserverEyeTestNotification"


@dataclass(frozen=True, slots=True)
class TestDelivery:
    channel: str
    type: str
    key: str
    status: str


class ReceiverProbe:
    def __init__(self, notifications: NotificationService, configs: AlertingConfigs, clock: Clock) -> None:
        self._notifications = notifications
        self._configs = configs
        self._clock = clock

    async def send(self, tenant: str, receiver: str, actor: Actor) -> list[TestDelivery]:
        self._configs.invalidate(tenant)  # the receiver as stored now, not as cached
        config = await self._configs.for_tenant(tenant)
        if receiver not in config.receivers:
            raise NotFound(f"no receiver {receiver!r}")
        channels = config.channels(receiver)
        if not channels:
            raise ValidationError(f"receiver {receiver!r} has no channels: nothing to test", field="name")
        now = self._clock.now_ms()
        labels = LabelSet.of({"alertname": TEST_ALERTNAME, "receiver": receiver, "severity": "info"})
        fp = fingerprint(labels)
        view = AlertView(fp, "firing", labels, {"summary": f"Test notification for receiver {receiver}",
                                                "description": f"Sent by {actor.name or actor.subject} to check this "
                                                               "receiver's channels; no action is needed."}, now)
        group = GroupNotification(f"test-{secrets.token_hex(8)}", receiver, (GroupedAlert(fp, labels),), (), now, labels)
        out = []
        for channel in channels:
            receipt = await self._notifications.queue(build_job(tenant, group, channel, [view], []))
            out.append(TestDelivery(channel.name, channel.type, receipt.key, receipt.status))
        return out
