"""A workflow engine that records what it is asked to do, in process.

It stands in for Temporal where no durable engine is wanted (unit and slice tests):
starts are idempotent by workflow id, as in Temporal, and signals are kept in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ports.workflows import WorkflowRun


class RecordingWorkflowEngine:
    def __init__(self) -> None:
        self._runs: dict[str, WorkflowRun] = {}
        self.cancelled: set[str] = set()

    async def start(self, workflow: str, workflow_id: str, *args: Any) -> bool:
        if workflow_id in self._runs:
            return False
        self._runs[workflow_id] = WorkflowRun(workflow, workflow_id, tuple(args))
        return True

    def _run(self, workflow_id: str) -> WorkflowRun:
        try:
            return self._runs[workflow_id]
        except KeyError:
            raise LookupError(f"no workflow {workflow_id!r}") from None

    async def signal(self, workflow_id: str, signal: str, *args: Any) -> None:
        run = self._run(workflow_id)
        self._runs[workflow_id] = WorkflowRun(run.workflow, run.workflow_id, run.args, run.signals + ((signal, tuple(args)),))

    async def update(self, workflow_id: str, update: str, *args: Any) -> Any:
        await self.signal(workflow_id, update, *args)
        return None

    async def query(self, workflow_id: str, query: str, *args: Any) -> Any:
        run = self._run(workflow_id)
        return {"workflow": run.workflow, "signals": [s for s, _ in run.signals], "cancelled": workflow_id in self.cancelled}

    async def cancel(self, workflow_id: str) -> None:
        self._run(workflow_id)
        self.cancelled.add(workflow_id)

    async def runs(self) -> Sequence[WorkflowRun]:
        return list(self._runs.values())
