"""The embedded notifier: writes every notification to the log and keeps the last ones
for the API and tests. Real channels live in adapters/notify."""

from __future__ import annotations

import collections
import logging

from ports.notify import DeliveryResult, OutgoingNotification

log = logging.getLogger("observer_eye.notifications")


class LogNotifier:
    def __init__(self, keep: int = 1000) -> None:
        self.sent: collections.deque[OutgoingNotification] = collections.deque(maxlen=keep)
        self._keys: set[str] = set()

    def channels(self) -> frozenset[str]:
        return frozenset({"log"})

    async def send(self, notification: OutgoingNotification) -> DeliveryResult:
        if notification.idempotency_key in self._keys:
            return DeliveryResult(True, detail="already sent")
        self._keys.add(notification.idempotency_key)
        self.sent.append(notification)
        log.warning("notification [%s] %s: %s", notification.channel, notification.subject, notification.body)
        return DeliveryResult(True)
