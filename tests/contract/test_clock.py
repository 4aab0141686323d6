"""Contract of ports.clock.Clock, run against every adapter.

To cover a new adapter, append one factory to CLOCKS: it returns
``ClockCase(clock, expected_ms, tolerance_ms)``: ``expected_ms()`` is what the clock
should read at that moment, within ``tolerance_ms``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.support.clock import FakeClock
from adapters.system.clock import SystemClock
from ports.clock import Clock

YEAR_2001_MS = 978_307_200_000
YEAR_2200_MS = 7_258_118_400_000


@dataclass
class ClockCase:
    clock: Clock
    expected_ms: Callable[[], int]
    tolerance_ms: int


def system_clock() -> ClockCase:
    return ClockCase(SystemClock(), lambda: time.time_ns() // 1_000_000, tolerance_ms=1_000)


def fake_clock() -> ClockCase:
    return ClockCase(FakeClock(1_700_000_000_000), lambda: 1_700_000_000_000, tolerance_ms=0)


CLOCKS = [pytest.param(system_clock, id="system"), pytest.param(fake_clock, id="fake")]


@pytest.fixture(params=CLOCKS)
def case(request) -> ClockCase:
    return request.param()


def test_now_is_integer_epoch_milliseconds(case):
    now = case.clock.now_ms()
    assert type(now) is int
    assert YEAR_2001_MS < now < YEAR_2200_MS, f"{now} does not look like epoch milliseconds"


def test_now_reads_the_expected_time(case):
    before = case.expected_ms()
    now = case.clock.now_ms()
    after = case.expected_ms()
    assert before - case.tolerance_ms <= now <= after + case.tolerance_ms


def test_now_never_goes_backwards(case):
    readings = [case.clock.now_ms() for _ in range(2_000)]
    assert readings == sorted(readings)


def test_now_advances_as_the_expected_time_does(case):
    expected_first, first = case.expected_ms(), case.clock.now_ms()
    time.sleep(0.05)
    second, expected_second = case.clock.now_ms(), case.expected_ms()
    assert abs((second - first) - (expected_second - expected_first)) <= case.tolerance_ms
