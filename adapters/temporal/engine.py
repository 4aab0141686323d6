"""``ports.workflows.WorkflowEngine`` on a Temporal client.

Workflows are addressed by their workflow id (the incident id for incidents), never by
run id, so signals, updates and queries follow a workflow across continue-as-new.

- ``start`` is idempotent: an id that runs already answers False. An id whose last run
  completed cannot be started again (an incident's workflow ends when it closes), one
  whose last run failed or was terminated can (repair).
- An unknown or finished workflow raises ``LookupError``, as the port says.
- A refused update raises the domain error the workflow refused it with
  (``workflows.common.to_application_error`` encodes it; ``errors.domain_error``
  decodes it), so callers see the same errors as with the in-process engine.
- ``runs`` lists this task queue's workflows from visibility, plus the ones this
  engine started that visibility does not show yet (it is eventually consistent). The
  start arguments come from the memo: the text and number arguments only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from temporalio.client import Client, WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from adapters.temporal.connection import TemporalConnection
from adapters.temporal.errors import domain_error
from ports.workflows import WorkflowRun


def _memo_args(args: Sequence[Any]) -> list[Any]:
    return [a for a in args if isinstance(a, (str, int, float, bool))]


class TemporalWorkflowEngine:
    def __init__(self, connection: TemporalConnection | Client, task_queue: str = "observer-eye") -> None:
        self._connection = connection
        self.task_queue = task_queue
        self._started: dict[str, WorkflowRun] = {}

    async def client(self) -> Client:
        c = self._connection
        return c if isinstance(c, Client) else await c.client()

    async def start(self, workflow: str, workflow_id: str, *args: Any) -> bool:
        client = await self.client()
        try:
            await client.start_workflow(
                workflow, args=list(args), id=workflow_id, task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
                memo={"args": _memo_args(args)},
            )
        except WorkflowAlreadyStartedError:
            return False
        self._started[workflow_id] = WorkflowRun(workflow, workflow_id, tuple(_memo_args(args)))
        if len(self._started) > 10_000:
            self._started.pop(next(iter(self._started)))
        return True

    async def signal(self, workflow_id: str, signal: str, *args: Any) -> None:
        handle = (await self.client()).get_workflow_handle(workflow_id)
        try:
            await handle.signal(signal, args=list(args))
        except RPCError as e:
            raise _lookup(e, workflow_id) from None

    async def update(self, workflow_id: str, update: str, *args: Any, result_type: type | None = None) -> Any:
        handle = (await self.client()).get_workflow_handle(workflow_id)
        try:
            return await handle.execute_update(update, args=list(args), result_type=result_type)
        except WorkflowUpdateFailedError as e:
            raise domain_error(e.cause) from None
        except RPCError as e:
            raise _lookup(e, workflow_id) from None

    async def query(self, workflow_id: str, query: str, *args: Any, result_type: type | None = None) -> Any:
        handle = (await self.client()).get_workflow_handle(workflow_id)
        try:
            return await handle.query(query, args=list(args), result_type=result_type)
        except WorkflowQueryFailedError as e:
            raise ValueError(f"query {query!r} on {workflow_id!r} failed: {e}") from None
        except RPCError as e:
            raise _lookup(e, workflow_id) from None

    async def cancel(self, workflow_id: str) -> None:
        handle = (await self.client()).get_workflow_handle(workflow_id)
        try:
            await handle.cancel()
        except RPCError as e:
            raise _lookup(e, workflow_id) from None

    async def runs(self) -> Sequence[WorkflowRun]:
        client = await self.client()
        seen: dict[str, WorkflowRun] = {}
        async for wf in client.list_workflows(f'TaskQueue="{self.task_queue}"'):
            if wf.id in seen:
                continue  # an older run of the same workflow id
            memo = await wf.memo()
            seen[wf.id] = WorkflowRun(wf.workflow_type, wf.id, tuple(memo.get("args", ())))
        for wid, run in self._started.items():
            seen.setdefault(wid, run)
        return list(seen.values())


def _lookup(e: RPCError, workflow_id: str) -> Exception:
    if e.status == RPCStatusCode.NOT_FOUND:
        return LookupError(f"no running workflow {workflow_id!r}: {e.message}")
    return e
