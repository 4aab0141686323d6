"""Parsing of time and duration parameters the way Prometheus' HTTP API accepts them."""

from __future__ import annotations

import math
import re
from datetime import datetime

from domain.errors import ValidationError

_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000, "y": 31_536_000_000}
# RFC 3339's years 0001-9999, the times Prometheus' API accepts too; a number outside
# them (1e308) is a clear 422 instead of an overflow deep in the query.
MIN_TIME_MS = -62_135_596_800_000
MAX_TIME_MS = 253_402_300_799_999
# Prometheus' durations are int64 nanoseconds: at most about 292 years.
MAX_DURATION_MS = 9_223_372_036_854


def _bounded_time(ms: float, text: str, field: str) -> int:
    if not MIN_TIME_MS <= ms <= MAX_TIME_MS:
        raise ValidationError(f"{text!r} is out of range: times must lie in the years 0001-9999", field=field)
    return int(round(ms))


def _bounded_duration(ms: float, text: str, field: str) -> int:
    if ms > MAX_DURATION_MS:
        raise ValidationError(f"{text!r} is too long: a duration is at most 292 years", field=field)
    return int(round(ms))


def parse_time_ms(text: str, *, field: str) -> int:
    """Unix seconds (float) or RFC 3339."""
    try:
        value = float(text)
        if not math.isfinite(value):
            raise ValueError
    except ValueError:
        pass
    else:
        return _bounded_time(value * 1000, text, field)
    try:
        return _bounded_time(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000, text, field)
    except (ValueError, OverflowError, OSError):
        raise ValidationError(f"{text!r} is not a time: use Unix seconds or RFC 3339", field=field) from None


def parse_duration_ms(text: str, *, field: str) -> int:
    """``15s``, ``1h30m``, ``500ms`` or plain seconds (``15``, ``0.5``)."""
    try:
        seconds = float(text)
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError
    except ValueError:
        pass
    else:
        return _bounded_duration(seconds * 1000, text, field)
    pos, total = 0, 0.0
    for m in _DURATION_RE.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNIT_MS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise ValidationError(f"{text!r} is not a duration: use e.g. 15s, 5m, 1h30m or seconds", field=field)
    return _bounded_duration(total, text, field)


def format_value(v: float) -> str:
    """Sample values as Prometheus' JSON writes them (strings, NaN and ±Inf included)."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v) if v != int(v) or abs(v) >= 1e15 else str(int(v))
