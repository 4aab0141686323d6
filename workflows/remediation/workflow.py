"""``RemediationWorkflow``: run a runbook as a saga, a child of the incident's workflow.

Steps run in order. A step behind an approval gate waits for an ``approve`` (or
``reject``) signal carrying the approver and their role; a role the gate does not
allow is refused and logged, and so is an approval by whoever asked for the run (a
second person approves). When the gate times out it aborts, or first notifies its
``escalate_to`` people and waits once more. Activity steps retry as the step says
(``retries``, ``retry_backoff_ms``); waits are durable timers; manual steps wait for a
``complete_step`` signal. When a step fails or is refused, the compensations of the
steps already done run in reverse order (each attempted even if an earlier one
failed), and the parent incident hears the outcome through ``remediation_finished``.
A dry run returns the plan without touching anything.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.errors import DomainError
    from domain.remediation.runbook import Runbook, Step
    from ports.workflows import RemediationState
    from services.delivery_jobs import UserMessage
    from services.remediation import StepRequest
    from workflows.common import notify_options, now_ms
    from workflows.incident.activities import NotifyActivities
    from workflows.remediation.activities import RemediationActivities
    from workflows.remediation.types import RemediationInput, RemediationResult


class StepError(Exception):
    """A step that did not complete (after its retries), with the reason."""


@workflow.defn(name="RemediationWorkflow")
class RemediationWorkflow:
    @workflow.init
    def __init__(self, inp: RemediationInput) -> None:
        self._inp = inp
        self._runbook: Runbook | None = None
        self._invalid = ""
        try:
            self._runbook = Runbook.from_dict(inp.runbook)
        except DomainError as e:
            self._invalid = str(e)
        self._decisions: dict[str, dict[str, Any]] = {}
        self._completions: dict[str, dict[str, Any]] = {}
        self._refusals: list[dict[str, Any]] = []
        self._phase, self._current = "starting", None
        self._steps: list[dict[str, Any]] = []
        self._compensated: list[dict[str, Any]] = []

    @workflow.run
    async def run(self, inp: RemediationInput) -> RemediationResult:
        wid = workflow.info().workflow_id
        if self._runbook is None:
            raise ApplicationError(f"invalid runbook: {self._invalid}", type="ValidationError", non_retryable=True)
        plan = self._runbook.plan()
        if inp.dry_run:
            self._phase = "dry_run"
            return RemediationResult(wid, "dry_run", plan)
        done: list[tuple[Step, dict[str, Any]]] = []
        status, failed, reason = "succeeded", None, ""
        for step in self._runbook.steps:
            self._current = step.id
            refused = await self._gate(step) if step.approval is not None else None
            if refused is not None:
                status, failed, reason = "aborted", step.id, refused
                self._steps.append({"step": step.id, "status": "not approved", "detail": refused})
                break
            try:
                out = await self._execute(step)
            except StepError as e:
                status, failed, reason = "failed", step.id, str(e)
                self._steps.append({"step": step.id, "status": "failed", "detail": str(e)})
                break
            done.append((step, out))
            self._steps.append({"step": step.id, "status": "done", "detail": out})
        if failed is not None:
            self._phase = "compensating"
            outputs = {s.id: out for s, out in done}
            for step in Runbook.compensations([s for s, _ in done]):
                previous = outputs[step.id].get("previous_replicas") if step.compensation.restores_previous else None
                try:
                    out = await self._execute(step.compensation, previous=previous)
                    self._compensated.append({"step": step.compensation.id, "status": "done", "detail": out})
                except StepError as e:
                    self._compensated.append({"step": step.compensation.id, "status": "failed", "detail": str(e)})
        self._phase, self._current = status, None
        result = RemediationResult(wid, status, plan, self._steps, self._compensated, failed, reason)
        if inp.parent_workflow_id:
            try:
                await workflow.get_external_workflow_handle(inp.parent_workflow_id).signal("remediation_finished", result)
            except Exception as e:  # the incident's workflow is gone: the result stays here
                workflow.logger.warning("could not report %s to %s: %s", wid, inp.parent_workflow_id, e)
        return result

    # ------------------------------------------------------------------- steps

    async def _execute(self, step: Step, previous: int | None = None) -> dict[str, Any]:
        self._phase = f"running {step.id}"
        if step.kind == "wait":
            await workflow.sleep(timedelta(milliseconds=step.params["duration_ms"]))
            return {"waited_ms": step.params["duration_ms"]}
        if step.kind == "manual":
            return await self._manual(step)
        out: dict[str, Any] = {}
        if step.kind == "scale" and step.compensation is not None and step.compensation.restores_previous:
            ns, name = step.workload
            out["previous_replicas"] = await self._activity(step, RemediationActivities.replicas, [ns, name])
        req = StepRequest(tenant=self._inp.tenant, incident_id=self._inp.incident_id, step_id=step.id, kind=step.kind,
                          params=step.params, key=f"{workflow.info().workflow_id}/{step.id}", at_ms=now_ms(),
                          timeout_ms=step.timeout_ms, previous_replicas=previous)
        output = await self._activity(step, RemediationActivities.run_step, [req])
        return {**out, **output.detail}

    async def _activity(self, step: Step, fn: Any, args: list[Any]) -> Any:
        try:
            return await workflow.execute_activity_method(
                fn, args=args, start_to_close_timeout=timedelta(milliseconds=step.timeout_ms),
                retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=step.retry_backoff_ms),
                                         backoff_coefficient=2.0, maximum_attempts=step.retries + 1))
        except ActivityError as e:
            raise StepError(str(e.cause or e)) from None

    async def _manual(self, step: Step) -> dict[str, Any]:
        await self._notify([self._inp.requested_by], f"{step.id}/manual", f"Manual step {step.id}",
                           f"{step.params['instructions']} (report it done: complete_step {step.id})")
        try:
            await workflow.wait_condition(lambda: step.id in self._completions,
                                          timeout=timedelta(milliseconds=step.timeout_ms))
        except asyncio.TimeoutError:
            raise StepError(f"manual step {step.id} not reported done within {step.timeout_ms // 1000}s") from None
        c = self._completions[step.id]
        if not c["ok"]:
            raise StepError(f"manual step {step.id} reported failed by {c['by']}: {c['note']}")
        return {"done_by": c["by"], "note": c["note"]}

    async def _gate(self, step: Step) -> str | None:
        """None once approved; else why not (rejected, timed out)."""
        gate = step.approval
        self._phase = f"awaiting approval of {step.id}"
        await self._notify(list(gate.notify) or [self._inp.requested_by], f"{step.id}/approval",
                           f"Approval needed: {step.describe()}",
                           f"Step {step.id} of runbook {self._runbook.id} waits for approval by {', '.join(gate.roles)}.")
        decided = lambda: step.id in self._decisions  # noqa: E731
        try:
            await workflow.wait_condition(decided, timeout=timedelta(milliseconds=gate.timeout_ms))
        except asyncio.TimeoutError:
            if gate.on_timeout == "abort":
                return f"approval timed out after {gate.timeout_ms // 1000}s"
            self._phase = f"approval of {step.id} escalated"
            await self._notify(list(gate.escalate_to), f"{step.id}/approval-escalated",
                               f"Approval overdue: {step.describe()}",
                               f"Nobody approved step {step.id} in {gate.timeout_ms // 1000}s; please decide.")
            try:
                await workflow.wait_condition(decided, timeout=timedelta(milliseconds=gate.timeout_ms))
            except asyncio.TimeoutError:
                return "approval timed out after escalation"
        d = self._decisions[step.id]
        return None if d["approved"] else f"rejected by {d['by']} ({d['role']}): {d['reason']}".rstrip(": ")

    async def _notify(self, users: list[str], what: str, subject: str, body: str) -> None:
        wid = workflow.info().workflow_id
        for user in users:
            msg = UserMessage(self._inp.tenant, user, f"{wid}/{what}/{user}", subject, body,
                              {"incident_id": self._inp.incident_id, "remediation": wid})
            try:
                await workflow.execute_activity_method(NotifyActivities.notify, msg, **notify_options())
            except ActivityError as e:
                workflow.logger.warning("notifying %s failed: %s", user, e.cause or e)

    # ----------------------------------------------------------------- signals

    def _decide(self, step_id: str, approver: str, role: str, approved: bool, reason: str) -> None:
        step = None
        if self._runbook is not None:
            step = next((s for s in self._runbook.steps if s.id == step_id), None)
        why = ("no such step" if step is None else "the step has no approval gate" if step.approval is None
               else "already decided" if step_id in self._decisions
               else f"role {role!r} may not approve" if not step.approval.allows(role)
               else self._own_approval(approver, approved))
        if why:
            self._refusals.append({"step": step_id, "by": approver, "role": role, "reason": why, "at_ms": now_ms()})
            return
        self._decisions[step_id] = {"approved": approved, "by": approver, "role": role, "reason": reason,
                                    "at_ms": now_ms()}

    def _own_approval(self, approver: str, approved: bool) -> str:
        # Patched: a run that saw its requester's approval accepted before this rule
        # existed replays as it ran.
        if approved and approver == self._inp.requested_by and workflow.patched("requester-cannot-approve"):
            return "whoever asked for the run cannot approve its gates"
        return ""

    @workflow.signal
    async def approve(self, step_id: str, approver: str, role: str) -> None:
        self._decide(step_id, approver, role, True, "")

    @workflow.signal
    async def reject(self, step_id: str, approver: str, role: str, reason: str = "") -> None:
        self._decide(step_id, approver, role, False, reason)

    @workflow.signal
    async def complete_step(self, step_id: str, actor: str, ok: bool = True, note: str = "") -> None:
        if step_id not in self._completions:
            self._completions[step_id] = {"ok": ok, "by": actor, "note": note}

    @workflow.query
    def state(self) -> RemediationState:
        return RemediationState(
            workflow_id=workflow.info().workflow_id, incident_id=self._inp.incident_id,
            runbook=None if self._runbook is None else self._runbook.id, phase=self._phase,
            current_step=self._current, steps=self._steps, compensated=self._compensated,
            decisions=self._decisions, refusals=self._refusals,
            plan=[] if self._runbook is None else self._runbook.plan(), requested_by=self._inp.requested_by,
            runbook_version=_version_of(self._inp.runbook))


def _version_of(runbook: dict[str, Any]) -> int | None:
    """The catalogue version the run started from (``RunbookService.for_run`` puts it in)."""
    version = runbook.get("version") if isinstance(runbook, dict) else None
    return version if isinstance(version, int) and not isinstance(version, bool) else None
