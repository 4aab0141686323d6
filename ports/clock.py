from __future__ import annotations

from typing import Protocol


class Clock(Protocol):
    """Wall-clock time in epoch milliseconds; tests swap in a fake one."""

    def now_ms(self) -> int: ...
