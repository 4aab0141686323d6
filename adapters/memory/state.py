"""In-process evaluator checkpoints (ports.state), for the embedded stack and tests.

Values are kept as JSON text, as Redis keeps them: a caller mutating what it saved or
loaded cannot change the stored copy, and a value that is not JSON fails here as it
would in production. Expired entries are dropped on access and swept on save, so the
dict does not outgrow the live state.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ports.state import StateKey


class MemoryEvaluatorStateStore:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic, sweep_every: int = 1000) -> None:
        self._items: dict[StateKey, tuple[float, str]] = {}  # key -> (expires at, JSON)
        self._now = monotonic
        self._sweep_every = sweep_every
        self._saves = 0

    async def load(self, keys: Sequence[StateKey]) -> dict[StateKey, dict[str, Any]]:
        now = self._now()
        out: dict[StateKey, dict[str, Any]] = {}
        for key in keys:
            got = self._items.get(key)
            if got is None:
                continue
            if got[0] <= now:
                del self._items[key]
                continue
            out[key] = json.loads(got[1])
        return out

    async def save(self, items: Mapping[StateKey, dict[str, Any]], ttl_s: float) -> None:
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be > 0, got {ttl_s}")
        expires = self._now() + ttl_s
        encoded = {key: json.dumps(value, separators=(",", ":")) for key, value in items.items()}  # all or nothing
        for key, text in encoded.items():
            self._items[key] = (expires, text)
        self._saves += 1
        if self._saves % self._sweep_every == 0:
            now = self._now()
            for key in [k for k, (at, _) in self._items.items() if at <= now]:
                del self._items[key]

    async def delete(self, keys: Sequence[StateKey]) -> None:
        for key in keys:
            self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)
