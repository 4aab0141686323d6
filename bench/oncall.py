"""On-call computations: how long "now and next", 92 days of shifts and a 104-day
calendar feed take for a realistic schedule.

The schedule: Europe/Berlin, three layers (a weekly primary rotation of 8 people, a
daily secondary of 6 restricted to weekdays 08:00-18:00, a 3-day follow-the-sun layer of
4 in America/New_York restricted to nights), and 50 overrides spread over the range.
Each line gives the first run with the domain's wall-clock caches cleared (``cold``: a
process's first request) and the median of ``--repeat`` runs after it (``warm``: later
requests, which find the same hand-off instants cached), computed by the domain
(``domain/incidents/oncall.py``) and, for the feed, rendered by the HTTP adapter
(``adapters/http/ical.py``, the icalendar package), as the API does.

    .venv/bin/python bench/oncall.py [--repeat 20]

Prints three lines: ``now_and_next_ms``, ``shifts_92d_ms`` (and how many shifts),
``ical_104d_ms`` (and how many events), each ``cold X warm Y``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.http.ical import shifts_calendar  # noqa: E402
from domain.incidents.oncall import (  # noqa: E402
    Layer,
    Override,
    Restriction,
    Rotation,
    Schedule,
    clear_wall_clock_caches,
)

DAY = 86_400_000


def schedule(now: int) -> Schedule:
    start = int(datetime(2026, 1, 5, 9, tzinfo=ZoneInfo("Europe/Berlin")).timestamp() * 1000)
    primary = Layer("primary", Rotation(tuple(f"p{i}" for i in range(8)), start, "09:00", "Europe/Berlin", "weekly"))
    secondary = Layer("secondary", Rotation(tuple(f"s{i}" for i in range(6)), start, "08:00", "Europe/Berlin", "daily"),
                      Restriction.weekdays("08:00", "18:00"))
    nights = Layer("nights", Rotation(tuple(f"n{i}" for i in range(4)), start, "18:00", "America/New_York", 3),
                   Restriction.daily("18:00", "06:00"))
    overrides = tuple(Override(f"o{i % 5}", now + i * 2 * DAY, now + i * 2 * DAY + 4 * 3_600_000) for i in range(-5, 45))
    return Schedule("bench", "acme", "Bench", "Europe/Berlin", (primary, secondary, nights), overrides)


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """(cold ms, warm median ms, result)."""
    clear_wall_clock_caches()
    t0 = time.perf_counter()
    result = fn()
    cold = (time.perf_counter() - t0) * 1000
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return cold, statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    now = int(datetime(2027, 3, 28, 6, tzinfo=ZoneInfo("UTC")).timestamp() * 1000)  # Berlin's spring change
    s = schedule(now)
    nn = timed(lambda: s.now_and_next(now), args.repeat)
    shifts = timed(lambda: s.final_schedule(now, now + 92 * DAY), args.repeat)

    def feed() -> bytes:
        mine = s.shifts_of(frozenset({"p3", "s2", "o1"}), now - 14 * DAY, now + 90 * DAY)
        return shifts_calendar("On call: bench", [(s, x) for x in mine], now)

    ical = timed(feed, args.repeat)
    print(f"now_and_next_ms cold {nn[0]:.2f} warm {nn[1]:.2f}")
    print(f"shifts_92d_ms cold {shifts[0]:.2f} warm {shifts[1]:.2f} ({len(shifts[2])} shifts)")  # type: ignore[arg-type]
    events = ical[2].count(b"BEGIN:VEVENT")  # type: ignore[union-attr]
    print(f"ical_104d_ms cold {ical[0]:.2f} warm {ical[1]:.2f} ({events} events)")


if __name__ == "__main__":
    main()
