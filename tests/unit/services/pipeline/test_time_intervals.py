"""A route's time intervals hold its groups' notifications: nothing goes out while the
route is muted, the hold is recorded once in the alerts' history, and the group notifies
on the first tick after the interval ends."""

from __future__ import annotations

import copy

from tests.support.clock import FakeClock
from tests.unit.services.pipeline.conftest import CONFIG, NOW_MS, labels, make_harness

HOUR = 3_600_000
MORNING = copy.deepcopy(CONFIG)  # NOW_MS is 08:00 UTC
MORNING["time_intervals"] = [{"name": "mornings", "time_intervals": [{"times": [{"start_time": "06:00", "end_time": "12:00"}]}]}]
MORNING["route"]["routes"][0]["mute_time_intervals"] = ["mornings"]


async def test_a_muted_route_holds_its_notification_until_the_interval_ends() -> None:
    h = make_harness(MORNING)
    assert NOW_MS % (24 * HOUR) == 8 * HOUR
    fp = await h.fire(labels(alertname="DiskFull", host="a", severity="critical"))
    await h.tick(10_000)
    await h.tick(60_000)
    assert [c for c, _, _ in h.told()] == []
    held = [d for d in await h.history(fp) if d == ("group", "skipped")]
    assert len(held) == 1  # recorded once, not on every tick
    await h.tick(4 * HOUR - 70_000)  # 12:00: the interval ended
    assert [c for c, _, _ in h.told()] == ["webhook"]


async def test_an_active_interval_lets_notifications_out_only_inside_it() -> None:
    config = copy.deepcopy(MORNING)
    del config["route"]["routes"][0]["mute_time_intervals"]
    config["route"]["routes"][0]["active_time_intervals"] = ["mornings"]
    h = make_harness(config)
    await h.fire(labels(alertname="DiskFull", host="a", severity="critical"))
    await h.tick(10_000)
    assert [c for c, _, _ in h.told()] == ["webhook"]
    afternoon = make_harness(config, clock=FakeClock(NOW_MS + 5 * HOUR))  # 13:00: outside it
    await afternoon.fire(labels(alertname="DiskFull", host="a", severity="critical"))
    await afternoon.tick(10_000)
    assert afternoon.told() == []
