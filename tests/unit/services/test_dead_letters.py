"""Poison messages on the in-process bus: the guard finds the message of a batch that
fails, counts its tries, dead-letters it after ``max_tries`` and moves on; a failure of
the infrastructure dead-letters nothing; operators list and replay dead letters, and
only platform administrators may (the API: tests/unit/http/test_dead_letter_routes.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from adapters.memory.bus import MemoryBus
from domain.errors import NotFound
from ports.bus import DEAD_LETTERS_TOPIC, Message, PoisonPolicy
from services.consumer_loop import PoisonGuard, run_consumer
from services.dead_letters import DeadLetters
from tests.support.clock import FakeClock

T0 = 1_800_000_000_000


class Handler:
    """Fails on values in ``bad`` (as the message's fault) or everything while ``down``."""

    def __init__(self, bad: set[bytes] = frozenset(), down: bool = False) -> None:
        self.bad, self.down, self.done, self.calls = set(bad), down, [], 0

    async def __call__(self, messages: Sequence[Message]) -> None:
        self.calls += 1
        if self.down:
            raise ConnectionRefusedError("database unreachable")
        if any(m.value in self.bad for m in messages):
            raise ValueError("cannot decode")
        self.done += [m.value for m in messages]


async def consume(bus: MemoryBus, handler: Handler, until) -> None:
    stop = asyncio.Event()
    consumer = await bus.subscribe(["t"], "g")
    task = asyncio.create_task(run_consumer(consumer, handler, stop, poll_timeout_s=0.01))
    for _ in range(500):
        if until():
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 10)


async def test_the_bad_message_of_a_batch_is_found_and_dead_lettered_and_the_rest_go_through() -> None:
    bus = MemoryBus(partitions=1, poison=PoisonPolicy(max_tries=3))
    for v in (b"1", b"2", b"bad", b"3"):
        await bus.publish("t", b"k", v)
    handler = Handler(bad={b"bad"})
    await consume(bus, handler, lambda: handler.done[-1:] == [b"3"])
    assert handler.done == [b"1", b"2", b"3"]
    [letter] = await bus.read(DEAD_LETTERS_TOPIC)
    letters = await DeadLetters(bus, FakeClock(T0)).list()
    assert [(d.id, d.group, d.offset, d.tries, d.value) for d in letters] == [("g/t/0/2", "g", 2, 3, b"bad")]
    assert letters[0].error == "ValueError: cannot decode" and letter.key == b"g/t/0/2"
    assert await bus.lag("t", "g") == 0


async def test_a_failure_of_the_infrastructure_dead_letters_nothing() -> None:
    bus = MemoryBus(partitions=1, poison=PoisonPolicy(max_tries=2))
    await bus.publish("t", b"k", b"1")
    handler = Handler(down=True)
    await consume(bus, handler, lambda: handler.calls >= 4)
    assert handler.calls >= 4 and await bus.read(DEAD_LETTERS_TOPIC) == []
    assert await bus.lag("t", "g") == 1  # kept for when the database is back
    handler.down = False
    await consume(bus, handler, lambda: handler.done == [b"1"])
    assert await bus.lag("t", "g") == 0


async def test_the_guard_counts_tries_per_message_and_forgets_the_ones_that_passed() -> None:
    sent: list[tuple[bytes, str, int]] = []

    async def sink(m: Message, error: str, tries: int) -> None:
        sent.append((m.value, error, tries))

    guard = PoisonGuard("g", sink, max_tries=2)
    batch = [Message("t", 0, i, b"", v) for i, v in enumerate((b"a", b"bad", b"c"))]
    handler = Handler(bad={b"bad"})
    assert await guard.handle(batch, handler) == 1 and guard.isolating  # a handled, bad failed once
    assert await guard.handle(batch[1:], handler) == 2 and not guard.isolating  # bad dead-lettered, c handled
    assert sent == [(b"bad", "ValueError: cannot decode", 2)] and guard.tries == {}
    assert handler.done == [b"a", b"c"]


async def test_replay_publishes_the_message_where_it_came_from_and_marks_the_letter() -> None:
    bus = MemoryBus(partitions=2, poison=PoisonPolicy(max_tries=1))
    await bus.publish("t", b"k", b"v", partition=1)
    [m] = await bus.read("t")
    consumer = await bus.subscribe(["t"], "g")
    await consumer.dead_letter(m, "KeyError: 'x'", 1)
    letters = DeadLetters(bus, FakeClock(T0))
    [letter] = await letters.list()
    replayed = await letters.replay(letter.id, "alice")
    assert (replayed.replayed_at_ms, replayed.replayed_by) == (T0, "alice")
    again = [x for x in await bus.read("t") if x.offset == 1]
    assert [(x.partition, x.key, x.value) for x in again] == [(1, b"k", b"v")]
    [listed] = await letters.list()
    assert listed.replayed_by == "alice" and await letters.list(include_replayed=False) == []
    with pytest.raises(NotFound):
        await letters.replay("g/t/1/99", "alice")
