"""``topk``/``bottomk`` as Prometheus 2.42 selects them: through Go's ``container/heap``.

Which of several equal values survive depends on the heap's exact moves, so where a
step has ties (or NaN) the engine replays them here; elsewhere the k largest values
are unambiguous and it selects them with array operations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


class _Heap:
    """A heap of input positions ordered by ``less`` (Go's ``heap.Interface``)."""

    def __init__(self, values: Sequence[float], reverse: bool) -> None:
        self.values = values
        self.reverse = reverse
        self.items: list[int] = []

    def less(self, i: int, j: int) -> bool:
        a, b = self.values[self.items[i]], self.values[self.items[j]]
        if math.isnan(a):
            return True
        return a > b if self.reverse else a < b

    def swap(self, i: int, j: int) -> None:
        self.items[i], self.items[j] = self.items[j], self.items[i]

    def up(self, j: int) -> None:
        while True:
            i = (j - 1) // 2
            if j <= 0 or i == j or not self.less(j, i):
                break
            self.swap(i, j)
            j = i

    def down(self, i0: int, n: int) -> bool:
        i = i0
        while True:
            j1 = 2 * i + 1
            if j1 >= n:
                break
            j = j1
            j2 = j1 + 1
            if j2 < n and self.less(j2, j1):
                j = j2
            if not self.less(j, i):
                break
            self.swap(i, j)
            i = j
        return i > i0

    def push(self, item: int) -> None:
        self.items.append(item)
        self.up(len(self.items) - 1)

    def pop(self) -> int:
        n = len(self.items) - 1
        self.swap(0, n)
        self.down(0, n)
        return self.items.pop()


def select_k(values: Sequence[float], k: int, bottom: bool) -> list[int]:
    """Positions of the elements ``topk`` (``bottomk`` if ``bottom``) keeps, in input order."""
    if k < 1 or not values:
        return []
    heap = _Heap(values, reverse=bottom)
    heap.items.append(0)
    for s in range(1, len(values)):
        top = values[heap.items[0]]
        v = values[s]
        better = top > v if bottom else top < v
        if len(heap.items) < k or better or math.isnan(top):
            if len(heap.items) == k:
                if k == 1:
                    heap.items[0] = s
                    continue
                heap.pop()
            heap.push(s)
    return sorted(heap.items)
