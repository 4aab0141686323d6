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


NOTIFIERS = [pytest.param(log_notifier, id="log")]


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
