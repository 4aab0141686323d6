"""Contract of ports.notify.Notifier, run against every adapter.

To cover a new adapter, append one async context manager factory to NOTIFIERS: it yields
``NotifierCase(notifier, channel, target, delivered)``: a channel the notifier serves,
the target configuration to send to, and ``await delivered()``, the idempotency keys of
the notifications that reached the far side so far, once per delivery, in order (for a
real channel: what a local receiver got).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from adapters.memory.notify import LogNotifier
from ports.notify import Notifier, OutgoingNotification


@dataclass
class NotifierCase:
    notifier: Notifier
    channel: str
    target: Mapping[str, Any]
    delivered: Callable[[], Awaitable[list[str]]]


@asynccontextmanager
async def log_notifier():
    notifier = LogNotifier()

    async def delivered() -> list[str]:
        return [n.idempotency_key for n in notifier.sent]

    yield NotifierCase(notifier, "log", {}, delivered)


@asynccontextmanager
async def http_channel(channel: str, target: dict[str, Any], secret: str | None = None, status: int = 200):
    from adapters.notify.dispatch import channel_notifiers
    from tests.notify_receivers import HttpReceiver

    receiver = HttpReceiver(secret=secret, default_status=status)
    try:
        notifier = channel_notifiers(["127.0.0.1/32"], timeout_s=5)[channel]

        async def delivered() -> list[str]:
            return [r.headers["x-observer-idempotency-key"] for r in receiver.accepted()]

        yield NotifierCase(notifier, channel, {**target, "url": receiver.url()}, delivered)
    finally:
        receiver.close()


def webhook_notifier():
    return http_channel("webhook", {"secret": "contract"}, secret="contract")


def slack_notifier():
    return http_channel("slack", {})


def teams_notifier():
    return http_channel("teams", {}, status=202)


def pagerduty_notifier():
    return http_channel("pagerduty", {"routing_key": "R" * 32}, status=202)


@asynccontextmanager
async def email_notifier():
    import tempfile
    from email import message_from_bytes
    from pathlib import Path

    from adapters.notify.dispatch import channel_notifiers
    from tests.notify_receivers import SmtpReceiver

    with tempfile.TemporaryDirectory() as tmp:
        smtp = SmtpReceiver(tls_dir=Path(tmp))
        try:
            notifier = channel_notifiers(["127.0.0.1/32"], timeout_s=5)["email"]
            target = {"to": ["ops@example.com"], "from": "oe@example.com", "smarthost": f"127.0.0.1:{smtp.port}",
                      "username": "oe", "password": "pw", "tls_ca_file": str(smtp.ca_file)}

            async def delivered() -> list[str]:
                return [message_from_bytes(m.original_content)["X-Observer-Idempotency-Key"] for m in smtp.messages]

            yield NotifierCase(notifier, "email", target, delivered)
        finally:
            smtp.close()


NOTIFIERS = [
    pytest.param(log_notifier, id="log"),
    pytest.param(webhook_notifier, id="webhook"),
    pytest.param(slack_notifier, id="slack"),
    pytest.param(teams_notifier, id="teams"),
    pytest.param(pagerduty_notifier, id="pagerduty"),
    pytest.param(email_notifier, id="email"),
]


@pytest.fixture(params=NOTIFIERS)
async def case(request) -> NotifierCase:
    async with request.param() as c:
        yield c


def note(case: NotifierCase, key: str, subject: str = "SEV2: disk full") -> OutgoingNotification:
    return OutgoingNotification(
        idempotency_key=key, channel=case.channel, target=case.target, subject=subject,
        body="inc-1 opened: disk full on host a", payload={"incident_id": "inc-1", "tenant": "acme"},
    )


def test_the_notifier_names_its_channels(case):
    channels = case.notifier.channels()
    assert isinstance(channels, frozenset)
    assert case.channel in channels


async def test_send_delivers(case):
    result = await case.notifier.send(note(case, "inc-1:opened:alice"))
    assert result.delivered is True
    assert await case.delivered() == ["inc-1:opened:alice"]


async def test_the_same_idempotency_key_is_delivered_once(case):
    first = await case.notifier.send(note(case, "inc-1:escalated:1"))
    retried = await case.notifier.send(note(case, "inc-1:escalated:1", subject="retried"))

    assert first.delivered and retried.delivered, "a retry of a delivered notification is not a failure"
    assert await case.delivered() == ["inc-1:escalated:1"]


async def test_different_keys_are_each_delivered(case):
    for key in ("inc-1:opened:alice", "inc-1:opened:bob", "inc-2:opened:alice"):
        assert (await case.notifier.send(note(case, key))).delivered
    assert await case.delivered() == ["inc-1:opened:alice", "inc-1:opened:bob", "inc-2:opened:alice"]
