"""The embedded notifier: writes every notification to the log and keeps the last ones
for the API and tests. Real channels live in adapters/notify."""

from __future__ import annotations

import collections
import logging
import time

from ports.notify import Claim, DeliveryResult, OutgoingNotification

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


class MemoryDeliveryLedger:
    """``ports.notify.DeliveryLedger`` for one process (the embedded stack, tests): the
    in-process task queue runs every delivery here, so process memory is the whole world."""

    def __init__(self) -> None:
        self._sent: set[str] = set()
        self._claims: dict[str, tuple[str, float]] = {}  # key -> (owner, expires at, monotonic)

    async def claim(self, key: str, owner: str, ttl_s: float) -> Claim:
        if key in self._sent:
            return Claim.SENT
        held = self._claims.get(key)
        now = time.monotonic()
        if held is not None and held[0] != owner and held[1] > now:
            return Claim.BUSY
        self._claims[key] = (owner, now + ttl_s)
        return Claim.CLAIMED

    async def mark_sent(self, key: str, owner: str) -> None:
        self._sent.add(key)
        self._claims.pop(key, None)

    async def release(self, key: str, owner: str) -> None:
        held = self._claims.get(key)
        if held is not None and held[0] == owner:
            del self._claims[key]
