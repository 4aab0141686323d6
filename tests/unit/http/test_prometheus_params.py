"""Prometheus' time and duration parameter formats (adapters/http/routes/prometheus/common.py),
by property: what a client writes reads back as the instant or span it meant, and any
other text is a ValueError (a bad_data answer), never a crash."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import hypothesis.strategies as st
import pytest
from hypothesis import given

from adapters.http.routes.prometheus.common import MAX_TIME_TEXT, MIN_TIME_TEXT, parse_duration_ms, parse_time

UNITS = (("y", 365 * 86_400_000), ("w", 7 * 86_400_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000),
         ("s", 1000), ("ms", 1))


@given(st.integers(min_value=-(10**13), max_value=10**13))
def test_float_seconds_read_back_to_the_millisecond(t_ms: int) -> None:
    sign = "-" if t_ms < 0 else ""
    whole, frac = divmod(abs(t_ms), 1000)
    assert parse_time(f"{sign}{whole}.{frac:03d}") == t_ms
    if frac == 0:
        assert parse_time(f"{sign}{whole}") == t_ms


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)),
       st.integers(min_value=-14 * 60, max_value=14 * 60), st.integers(min_value=0, max_value=999_999_999))
def test_rfc3339_reads_back_truncated_to_the_millisecond(at: datetime, offset_min: int, nanos: int) -> None:
    zone = timezone(timedelta(minutes=offset_min))
    local = at.replace(microsecond=0, tzinfo=zone)
    hours, minutes = divmod(abs(offset_min), 60)
    suffix = "Z" if offset_min == 0 else f"{'+' if offset_min > 0 else '-'}{hours:02d}:{minutes:02d}"
    text = local.strftime("%Y-%m-%dT%H:%M:%S") + (f".{nanos:09d}".rstrip("0") if nanos else "") + suffix
    assert parse_time(text) == int(local.timestamp()) * 1000 + nanos // 1_000_000


@given(st.lists(st.integers(min_value=0, max_value=200), min_size=len(UNITS), max_size=len(UNITS)))
def test_go_durations_read_back(counts: list[int]) -> None:
    parts = [(n, unit, ms) for n, (unit, ms) in zip(counts, UNITS) if n]
    if not parts:
        return
    text = "".join(f"{n}{unit}" for n, unit, _ in parts)
    assert parse_duration_ms(text) == sum(n * ms for n, _, ms in parts)


@given(st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False))
def test_float_second_durations_truncate_to_the_millisecond(seconds) -> None:
    # Go multiplies the float by 1e9 and truncates: 129.009 s is 129008999999.99998 ns,
    # so 129008 ms; never more than the decimal value, less by under one millisecond.
    exact = int(seconds * 1000)
    assert exact - 1 <= parse_duration_ms(str(seconds)) <= exact


def test_float_seconds_are_converted_as_go_converts_them() -> None:
    assert parse_duration_ms("129.009") == 129_008
    assert parse_duration_ms("15") == 15_000 and parse_duration_ms("0.5") == 500


def test_292_years_is_the_longest_duration() -> None:
    assert parse_duration_ms("292y") == 292 * 365 * 86_400_000
    with pytest.raises(ValueError):
        parse_duration_ms("293y")


@given(st.text(max_size=30))
def test_any_text_is_a_time_or_a_value_error(text: str) -> None:
    try:
        parse_time(text)
    except ValueError:
        pass


@given(st.text(alphabet="0123456789ymwdhs.+-eE ", max_size=12))
def test_any_text_is_a_duration_or_a_value_error(text: str) -> None:
    try:
        assert parse_duration_ms(text) >= -(2**63)
    except ValueError:
        pass


@pytest.mark.parametrize("text", ["", "1.5h", "1s1m", "5 m", "1mss", "-1m", "1e400", "NaN", "1d 2h"])
def test_what_prometheus_refuses_as_a_duration(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration_ms(text)


@pytest.mark.parametrize("text", ["", "now", "2027-01-15", "2027-01-15 08:00:00Z", "2027-01-15T08:00:00",
                                  "2027-13-01T00:00:00Z", "2027-01-15T08:00:00+25:00", "Inf", "NaN"])
def test_what_prometheus_refuses_as_a_time(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text)


def test_the_open_bounds_go_clients_send_mean_no_bound() -> None:
    assert parse_time(MIN_TIME_TEXT) is None and parse_time(MAX_TIME_TEXT) is None
    assert parse_duration_ms("0") == 0 and parse_duration_ms("1e3") == 1_000_000
