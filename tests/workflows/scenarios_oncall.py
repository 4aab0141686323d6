"""On-call hand-off scenarios for the workflow tests and the recorded histories.

``handoff_across_dst``: a daily 09:00 Europe/Berlin rotation (ada, bob) across Berlin's
spring change (2027-03-28, 02:00 CET -> 03:00 CEST), with an override giving cy the
Sunday morning 09:00-12:00 CEST; two ``OnCallHandoffWorkflow`` runs over the same window
(a late run overlapping the next) start when the server's clock reads 2027-03-27 00:00 UTC.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from domain.identity import Role, Tenant, User
from services.identity import Actor
from tests.workflows.harness import TENANT, Harness
from tests.workflows.scenarios import Outcome
from workflows.common import TASK_QUEUE
from workflows.oncall import OnCallHandoffWorkflow

DAY_MS = 86_400_000
BERLIN = ZoneInfo("Europe/Berlin")


def utc(y, mo, d, h=0) -> int:
    return int(datetime(y, mo, d, h, tzinfo=timezone.utc).timestamp() * 1000)


ROTATION_START = int(datetime(2027, 3, 26, 9, tzinfo=BERLIN).timestamp() * 1000)
OVERRIDE = (utc(2027, 3, 28, 7), utc(2027, 3, 28, 10))  # 09:00-12:00 CEST


async def handoff_across_dst(h: Harness) -> Outcome:
    def people(u):
        if u.tenants.get(TENANT) is None:
            u.tenants.add(Tenant(TENANT, "Acme", created_at_ms=0))
        for name in ("ada", "bob", "cy"):
            u.users.add(User(name, TENANT, name, f"{name}@example.com", name, Role.RESPONDER, created_at_ms=0))

    await h.uow.run(people)
    await h.oncall.create(Actor.system("test"), TENANT, "schedule", {
        "id": "primary", "name": "Primary", "timezone": "Europe/Berlin",
        "layers": [{"name": "daily", "rotation": {"users": ["ada", "bob"], "start_ms": ROTATION_START,
                                                  "handoff_time": "09:00", "timezone": "Europe/Berlin",
                                                  "length": "daily"}}],
        "overrides": [{"id": "swap", "user": "cy", "start_ms": OVERRIDE[0], "end_ms": OVERRIDE[1]}]})
    await h.sleep(utc(2027, 3, 27) - await h.now_ms())
    spec = {"every_ms": 2 * DAY_MS, "recheck_ms": 12 * 3_600_000}
    first = await h.client.start_workflow(OnCallHandoffWorkflow.run, spec, id="handoffs-1", task_queue=TASK_QUEUE)
    second = await h.client.start_workflow(OnCallHandoffWorkflow.run, spec, id="handoffs-2", task_queue=TASK_QUEUE)
    results = [await first.result(), await second.result()]
    await h.tasks.drain()
    # What each look asked for: the notify activity's (start_ms, end_ms) from the history.
    looks = []
    for event in (await first.fetch_history()).events:
        if event.HasField("activity_task_scheduled_event_attributes"):
            args = [json.loads(p.data) for p in event.activity_task_scheduled_event_attributes.input.payloads]
            looks.append((args[0], args[1]))
    return Outcome("", 0, ["handoffs-1"], {"results": results, "looks": looks})


