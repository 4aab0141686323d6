"""Record the histories the replay tests check (run once, commit the JSON files):

    .venv/bin/python -m tests.workflows.record_histories

Each scenario of ``scenarios.py`` / ``scenarios_response.py`` runs on a fresh
time-skipping test server; the histories of the workflows it names (every run of a
workflow that continued as new) are written to ``tests/workflows/histories/`` as
``<scenario>.<workflow type>.<n>.json``. Re-record only on purpose: a workflow change
that breaks the replay of these files would break workflows running in production.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from temporalio.client import Client  # noqa: E402

from tests.workflows import scenarios, scenarios_oncall, scenarios_response  # noqa: E402
from tests.workflows.harness import harness  # noqa: E402

HISTORIES = Path(__file__).parent / "histories"
SCENARIOS = {
    "full_escalation": scenarios.full_escalation,
    "acknowledged": scenarios.acknowledged,
    "handoff": scenarios.handoff,
    "paused_and_resumed": scenarios.paused_and_resumed,
    "escalated_now_and_reopened": scenarios.escalated_now_and_reopened,
    "continued_as_new": scenarios.continued_as_new,
    "alert_storm": scenarios.alert_storm,
    "no_policy": scenarios.no_policy,
    "approval_timeout": scenarios_response.approval_timeout,
    "failed_step_compensates": scenarios_response.failed_step_compensates,
    "escalated_approval": scenarios_response.escalated_approval,
    "dry_run": scenarios_response.dry_run,
    "postmortem_published": scenarios_response.postmortem_published,
    "maintenance_window": scenarios_response.maintenance_window,
    "oncall_handoff": scenarios_oncall.handoff_across_dst,
}


async def runs_of(client: Client, workflow_id: str) -> list[tuple[str, str]]:
    """(workflow type, history JSON) of every run of ``workflow_id``, oldest first."""
    out, run_id = [], None
    while True:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        out.append((started.workflow_type.name, history.to_json()))
        run_id = started.continued_execution_run_id or None
        if run_id is None:
            return out[::-1]


async def record(only: list[str]) -> None:
    HISTORIES.mkdir(exist_ok=True)
    for name, scenario in SCENARIOS.items():
        if only and name not in only:
            continue
        for old in HISTORIES.glob(f"{name}.*.json"):
            old.unlink()
        async with harness() as h:
            outcome = await scenario(h)
            counts: dict[str, int] = {}
            for wid in outcome.workflow_ids:
                for wf_type, text in await runs_of(h.client, wid):
                    counts[wf_type] = counts.get(wf_type, 0) + 1
                    path = HISTORIES / f"{name}.{wf_type}.{counts[wf_type]}.json"
                    path.write_text(text)
                    print(f"wrote {path.relative_to(HISTORIES.parent)}")


if __name__ == "__main__":
    asyncio.run(record(sys.argv[1:]))
    import gc

    gc.collect()  # free the test servers' handles before interpreter exit
