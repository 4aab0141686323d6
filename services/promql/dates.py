"""Date functions (``hour``, ``day_of_month``, ``days_in_month``...) exactly as Go's
``time`` package computes them from ``time.Unix(int64(v), 0).UTC()``.

Go's arithmetic is reproduced on numpy's wrapping 64-bit integers, so the answers
agree with Prometheus for every input, including those Go converts to
``math.MinInt64`` (NaN, ±Inf, out of range: the amd64 conversion) and then turns
into a date in a wrapped-around year.
"""

from __future__ import annotations

import numpy as np

SECONDS_PER_DAY = 86_400
DAYS_PER_400_YEARS = 365 * 400 + 97
DAYS_PER_100_YEARS = 365 * 100 + 24
DAYS_PER_4_YEARS = 365 * 4 + 1
ABSOLUTE_ZERO_YEAR = -292277022399
INTERNAL_YEAR = 1
ABSOLUTE_TO_INTERNAL = (ABSOLUTE_ZERO_YEAR - INTERNAL_YEAR) * 3_652_425 * SECONDS_PER_DAY // 10_000  # exact, as Go's constant
UNIX_TO_INTERNAL = (1969 * 365 + 1969 // 4 - 1969 // 100 + 1969 // 400) * SECONDS_PER_DAY
UNIX_TO_ABSOLUTE = UNIX_TO_INTERNAL - ABSOLUTE_TO_INTERNAL
DAYS_BEFORE = np.array([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365], dtype=np.int64)
MIN_INT64 = np.int64(-(2**63))


def go_int64(values: np.ndarray) -> np.ndarray:
    """Go's ``int64(v)`` on amd64: truncation, and MinInt64 where v is NaN, ±Inf or
    outside the int64 range."""
    ok = np.isfinite(values) & (values < 2.0**63) & (values >= -(2.0**63))
    return np.where(ok, np.trunc(np.where(ok, values, 0.0)), 0.0).astype(np.int64) + np.where(ok, 0, MIN_INT64)


def seconds_of_ms(ms: np.ndarray) -> np.ndarray:
    """Go's ``ts / 1000`` on milliseconds: division truncating toward zero."""
    return np.where(ms < 0, -((-ms) // 1000), ms // 1000)


def _absolute(seconds: np.ndarray) -> np.ndarray:
    """Go's ``Time.abs()`` of ``time.Unix(seconds, 0).UTC()``: wrapping int64, as uint64."""
    with np.errstate(over="ignore"):
        return (seconds.astype(np.int64) + np.int64(UNIX_TO_ABSOLUTE)).view(np.uint64)


def _is_leap(year: np.ndarray) -> np.ndarray:
    # Go's % truncates, but "== 0" is the same either way.
    return (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))


def _date(abs_seconds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Go's ``absDate``: (year, month 1-12, day 1-31, day of year 0-365)."""
    d = abs_seconds // np.uint64(SECONDS_PER_DAY)
    n = d // np.uint64(DAYS_PER_400_YEARS)
    y = np.uint64(400) * n
    d = d - np.uint64(DAYS_PER_400_YEARS) * n
    n = d // np.uint64(DAYS_PER_100_YEARS)
    n = n - (n >> np.uint64(2))
    y = y + np.uint64(100) * n
    d = d - np.uint64(DAYS_PER_100_YEARS) * n
    n = d // np.uint64(DAYS_PER_4_YEARS)
    y = y + np.uint64(4) * n
    d = d - np.uint64(DAYS_PER_4_YEARS) * n
    n = d // np.uint64(365)
    n = n - (n >> np.uint64(2))
    y = y + n
    d = d - np.uint64(365) * n
    with np.errstate(over="ignore"):
        year = y.view(np.int64) + np.int64(ABSOLUTE_ZERO_YEAR)
    yday = d.astype(np.int64)
    leap = _is_leap(year)
    day = np.where(leap & (yday > 31 + 29 - 1), yday - 1, yday)
    leap_day = leap & (yday == 31 + 29 - 1)
    month = day // 31
    end = DAYS_BEFORE[np.clip(month + 1, 0, 12)]
    after = day >= end
    begin = np.where(after, end, DAYS_BEFORE[np.clip(month, 0, 12)])
    month = np.where(after, month + 1, month) + 1
    day = day - begin + 1
    return year, np.where(leap_day, 2, month), np.where(leap_day, 29, day), yday


def date_part(name: str, seconds: np.ndarray) -> np.ndarray:
    absolute = _absolute(seconds)
    if name == "minute":
        return ((absolute % np.uint64(3600)) // np.uint64(60)).astype(np.float64)
    if name == "hour":
        return ((absolute % np.uint64(SECONDS_PER_DAY)) // np.uint64(3600)).astype(np.float64)
    if name == "day_of_week":
        week = np.uint64(7 * SECONDS_PER_DAY)
        return (((absolute + np.uint64(SECONDS_PER_DAY)) % week) // np.uint64(SECONDS_PER_DAY)).astype(np.float64)
    year, month, day, yday = _date(absolute)
    if name == "year":
        return year.astype(np.float64)
    if name == "month":
        return month.astype(np.float64)
    if name == "day_of_month":
        return day.astype(np.float64)
    if name == "day_of_year":
        return (yday + 1).astype(np.float64)
    if name == "days_in_month":
        lengths = np.diff(DAYS_BEFORE)[month - 1]
        return np.where((month == 2) & _is_leap(year), 29, lengths).astype(np.float64)
    raise KeyError(name)
