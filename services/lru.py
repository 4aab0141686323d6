"""A bounded least-recently-used map: the series caches of the ingest hot path.

Why not ``functools.lru_cache``: the caches here are filled by the caller (a miss runs
validation or decoding that may fail, and failures are not remembered), and the
caller needs ``peek`` (look without refreshing) and the capacity as a setting.
``OrderedDict.move_to_end`` is C, so a hit costs a dictionary lookup and a relink.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable, KeysView
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value, marked as just used; ``None`` when absent."""
        items = self._items
        value = items.get(key)
        if value is not None:
            items.move_to_end(key)
        return value

    def peek(self, key: K) -> V | None:
        return self._items.get(key)

    def peek_many(self, keys: Iterable[K]) -> list[V | None]:
        """``peek`` of each key, in one C-level pass."""
        return list(map(self._items.get, keys))

    def put(self, key: K, value: V) -> None:
        """Remember ``value`` (never ``None``), forgetting the least recently used
        entries beyond the capacity. A capacity of 0 or less remembers nothing."""
        if self.capacity <= 0:
            return
        items = self._items
        items[key] = value
        items.move_to_end(key)
        while len(items) > self.capacity:
            items.popitem(last=False)

    def touch(self, keys: Iterable[K]) -> None:
        """Mark ``keys`` as just used, in one C-level pass (absent ones are skipped)."""
        try:
            deque(map(self._items.move_to_end, keys), 0)
        except KeyError:  # one was evicted meanwhile (more keys than the capacity)
            for key in keys:
                if key in self._items:
                    self._items.move_to_end(key)

    def keys(self) -> KeysView[K]:
        return self._items.keys()

    def __setitem__(self, key: K, value: V) -> None:
        self.put(key, value)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        self._items.clear()
