"""``OnCallHandoffWorkflow`` on the time-skipping test server, across Berlin's spring
change (scenarios_oncall.handoff_across_dst): the 09:00 Europe/Berlin hand-off happens at
08:00 UTC on Saturday and at 07:00 UTC on Sunday, where an override gives the shift to cy
for three hours. The workflow's timers fire at those instants, the incoming and outgoing
people are told through the one delivery path, and nobody twice although two runs
cover the same window."""

from __future__ import annotations

from tests.workflows.harness import TENANT, harness
from tests.workflows.scenarios_oncall import OVERRIDE, ROTATION_START, handoff_across_dst, utc


async def test_handoffs_are_notified_at_their_local_time_across_the_dst_change_and_an_override():
    async with harness() as h:
        outcome = await handoff_across_dst(h)
        calls = list(h.notifier.calls)

    first, second = outcome.extra["results"]
    # The run began when the server's clock read 2027-03-27 00:00 UTC (give or take the
    # milliseconds its sleep overshoots) and covered two days either side.
    assert 0 <= first["covered_to_ms"] - utc(2027, 3, 29) < 60_000
    assert first["notified"] == second["notified"] == 7

    ends = sorted(end for _, end in outcome.extra["looks"])

    def woke_at(instant: int) -> bool:  # a timer's wake-up runs a few ms after its instant
        return any(instant <= end < instant + 1_000 for end in ends)

    # Timers woke at each hand-off: 09:00 CET = 08:00 UTC on Saturday, 09:00 CEST = 07:00
    # UTC on Sunday, and the override's end; never by the winter offset on Sunday.
    assert woke_at(utc(2027, 3, 27, 8)) and woke_at(OVERRIDE[0]) and woke_at(OVERRIDE[1])
    assert not woke_at(utc(2027, 3, 28, 8))

    key = f"oncall-handoff/{TENANT}/primary"
    sent = {(n.idempotency_key, n.target["user"]) for n in calls}
    assert sent == {
        (f"{key}/{ROTATION_START}/in", "ada"),  # the rotation began (the run catches up on the past period)
        (f"{key}/{utc(2027, 3, 27, 8)}/out", "ada"), (f"{key}/{utc(2027, 3, 27, 8)}/in", "bob"),
        (f"{key}/{OVERRIDE[0]}/out", "bob"), (f"{key}/{OVERRIDE[0]}/in", "cy"),  # the override, not ada
        (f"{key}/{OVERRIDE[1]}/out", "cy"), (f"{key}/{OVERRIDE[1]}/in", "ada"),
    }
    assert len(calls) == len(sent)  # two runs over one window: nobody was told twice
    cy = next(n for n in calls if n.target["user"] == "cy" and n.idempotency_key.endswith("/in"))
    assert "2027-03-28 09:00 CEST" in cy.body and "until 2027-03-28 12:00 CEST" in cy.body
