"""``ChannelNotifier``: one ``Notifier`` serving every channel type by handing each
notification to the adapter of its ``channel``. The composition root builds it with the
real channels plus whatever else it wants served (the log channel)."""

from __future__ import annotations

from collections.abc import Mapping

from adapters.notify.email import EmailNotifier
from adapters.outbound.guard import OutgoingGuard
from adapters.notify.http import GuardedHttp
from adapters.notify.pagerduty import PagerDutyNotifier
from adapters.notify.slack import SlackNotifier
from adapters.notify.teams import TeamsNotifier
from adapters.notify.webhook import WebhookNotifier
from ports.notify import DeliveryResult, Notifier, OutgoingNotification


class ChannelNotifier:
    def __init__(self, by_channel: Mapping[str, Notifier]) -> None:
        self._by_channel = dict(by_channel)

    def channels(self) -> frozenset[str]:
        return frozenset(self._by_channel)

    async def send(self, notification: OutgoingNotification) -> DeliveryResult:
        adapter = self._by_channel.get(notification.channel)
        if adapter is None:
            return DeliveryResult(False, detail=f"no notifier for channel type {notification.channel!r}", refused=True)
        return await adapter.send(notification)


def channel_notifiers(allow: list[str] | tuple[str, ...] = (), timeout_s: float = 10.0) -> dict[str, Notifier]:
    """The real channels, sharing one guard built from the allow list."""
    guard = OutgoingGuard(allow)
    http = GuardedHttp(guard, timeout_s)
    return {
        "webhook": WebhookNotifier(http), "slack": SlackNotifier(http), "teams": TeamsNotifier(http),
        "pagerduty": PagerDutyNotifier(http), "email": EmailNotifier(guard, timeout_s),
    }
