"""Dead letters: the messages a consumer group gave up on, kept on the bus, listed and
replayed by operators (``/api/v1/dead-letters``, ``observer-eye dead-letters``).

A consumer's ``PoisonGuard`` (services/consumer_loop.py) has the bus publish a
message that failed ``max_tries`` times to ``DEAD_LETTERS_TOPIC`` as an envelope
(``envelope``): the group that gave up, where the message came from (topic,
partition, offset), its key and value (as they were, base64), the last error and when. Its id is ``group/topic/partition/
offset``: the same message given up twice (a writer that resumed before it after a
restart) is one dead letter.

Replaying publishes the original key and value to the original topic and partition
again (every group reads it again: handlers are idempotent, so the groups that had
handled it change nothing) and records the replay on the dead-letter topic, so the
list shows it. The topic is the record: whichever process reads it sees the same.

Dead letters cross tenants (a message that cannot be read has no known tenant), so
listing and replaying them is a platform administrator's (``dead_letters:manage`` is a
platform permission), or the operator's on the command line.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from domain.errors import NotFound
from ports.bus import DEAD_LETTERS_TOPIC, Message, MessageBus
from ports.clock import Clock

ENVELOPE_VERSION = 1
PREVIEW_BYTES = 200


@dataclass(frozen=True)
class DeadLetter:
    id: str
    group: str
    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes
    error: str
    tries: int
    at_ms: int
    replayed_at_ms: int | None = None
    replayed_by: str | None = None

    def summary(self) -> dict[str, Any]:
        """For listings: everything but the value, of which a preview (it may be large,
        and binary)."""
        return {"id": self.id, "group": self.group, "topic": self.topic, "partition": self.partition,
                "offset": self.offset, "key": self.key.decode("utf-8", "replace"), "size": len(self.value),
                "preview": self.value[:PREVIEW_BYTES].decode("utf-8", "replace"), "error": self.error,
                "tries": self.tries, "at_ms": self.at_ms, "replayed_at_ms": self.replayed_at_ms,
                "replayed_by": self.replayed_by}


def letter_id(group: str, m: Message) -> str:
    return f"{group}/{m.topic}/{m.partition}/{m.offset}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def envelope(group: str, message: Message, error: str, tries: int, at_ms: int) -> tuple[bytes, bytes]:
    """The dead letter of ``message`` as the bus adapters publish it: (key, value)."""
    doc = {"v": ENVELOPE_VERSION, "group": group, "topic": message.topic, "partition": message.partition,
           "offset": message.offset, "key": _b64(message.key), "value": _b64(message.value),
           "error": error[:2000], "tries": tries, "at_ms": at_ms}
    return letter_id(group, message).encode(), json.dumps(doc, separators=(",", ":")).encode()


class DeadLetters:
    """The operators' view of the dead letters: list, look at one, replay."""

    def __init__(self, bus: MessageBus, clock: Clock, *, max_listed: int = 10_000) -> None:
        self._bus = bus
        self._clock = clock
        self._max = max_listed

    # -- operators --------------------------------------------------------------------

    async def list(self, *, group: str | None = None, topic: str | None = None, include_replayed: bool = True,
                   limit: int = 100) -> list[DeadLetter]:
        """Newest first."""
        letters = [d for d in await self._all() if (group is None or d.group == group) and
                   (topic is None or d.topic == topic) and (include_replayed or d.replayed_at_ms is None)]
        letters.sort(key=lambda d: (d.at_ms, d.id), reverse=True)
        return letters[: max(limit, 0)]

    async def get(self, letter: str) -> DeadLetter:
        for d in await self._all():
            if d.id == letter:
                return d
        raise NotFound(f"no dead letter {letter!r}")

    async def replay(self, letter: str, actor: str) -> DeadLetter:
        """Publish the message again where it came from; returns the letter as replayed."""
        d = await self.get(letter)
        await self._bus.publish(d.topic, d.key, d.value, partition=d.partition)
        at = self._clock.now_ms()
        mark = {"v": ENVELOPE_VERSION, "replayed": d.id, "at_ms": at, "by": actor}
        await self._bus.publish(DEAD_LETTERS_TOPIC, d.id.encode(), json.dumps(mark, separators=(",", ":")).encode())
        return dataclasses.replace(d, replayed_at_ms=at, replayed_by=actor)

    async def _all(self) -> list[DeadLetter]:
        letters: dict[str, DeadLetter] = {}
        replays: dict[str, tuple[int, str]] = {}
        for m in await self._bus.read(DEAD_LETTERS_TOPIC, self._max):
            doc = _parse(m)
            if doc is None:
                continue
            if "replayed" in doc:
                replays[str(doc["replayed"])] = (int(doc["at_ms"]), str(doc.get("by", "")))
                continue
            d = DeadLetter(m.key.decode("utf-8", "replace"), doc["group"], doc["topic"], int(doc["partition"]),
                           int(doc["offset"]), base64.b64decode(doc["key"]), base64.b64decode(doc["value"]),
                           doc.get("error", ""), int(doc.get("tries", 0)), int(doc.get("at_ms", 0)))
            letters.setdefault(d.id, d)  # given up twice (a replay from an older position): the first one
        out = []
        for d in letters.values():
            replayed = replays.get(d.id)
            out.append(d if replayed is None else dataclasses.replace(d, replayed_at_ms=replayed[0],
                                                                      replayed_by=replayed[1]))
        return out


def _parse(m: Message) -> dict[str, Any] | None:
    """An envelope or a replay mark; None for anything else on the topic."""
    try:
        doc = json.loads(m.value)
    except ValueError:
        return None
    if not isinstance(doc, dict) or doc.get("v") != ENVELOPE_VERSION:
        return None
    if "replayed" in doc:
        return doc if "at_ms" in doc else None
    return doc if {"group", "topic", "partition", "offset", "key", "value"} <= doc.keys() else None

