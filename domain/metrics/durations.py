"""Durations as Prometheus writes them (``model.Duration``): ``1y``, ``2w``, ``1d``,
``1h30m``, ``15s``, ``500ms``; whole numbers, units largest first, each at most once."""

from __future__ import annotations

import re

_DURATION = re.compile(r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?\Z")
_UNITS_MS = (("y", 365 * 86_400_000), ("w", 7 * 86_400_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000),
             ("s", 1000), ("ms", 1))
MAX_MS = (2**63 - 1) // 1_000_000  # Go keeps durations in int64 nanoseconds


def parse_duration_ms(text: str) -> int:
    """Milliseconds in ``text``; ValueError (Prometheus' message) if it is not one."""
    if text == "0":
        return 0
    m = _DURATION.match(text)
    if not text or m is None or not any(m.groups()):
        raise ValueError(f'not a valid duration string: "{text}"')
    total = sum(int(n) * ms for n, (_, ms) in zip(m.groups(), _UNITS_MS) if n)
    if total > MAX_MS:
        raise ValueError(f'duration out of range: "{text}"')
    return total


def format_duration(ms: int) -> str:
    """Prometheus' ``Duration.String``: years and weeks only when they divide exactly."""
    if ms == 0:
        return "0s"
    out = ""
    for unit, size in _UNITS_MS:
        if unit in ("y", "w") and ms % size:
            continue
        count, ms = divmod(ms, size)
        if count:
            out += f"{count}{unit}"
    return out
