"""``IncidentWorkflow``: one per incident (workflow id = incident id), from open to close.

It owns the incident while it runs (docs/adr/0002-incident-workflows.md). Responder
actions arrive as *updates*, validated with the domain's rules before they are
accepted (a refused one leaves no trace in the history), applied to the aggregate the
workflow holds, and projected to the repository by the ``incident.persist`` activity.
The same names are accepted as fire-and-forget *signals*.

Escalation follows the policy frozen at open: page a step, wait for acknowledgement on
a durable timer, move to the next step; who is on call is resolved by the page
activity at the instant the workflow passes in. Pausing keeps the time left; "escalate
now" skips the rest of the wait. A reopen starts the policy over in a new round
(idempotency keys carry the round). Resolving starts the postmortem child; its
publication closes the incident and ends this workflow. Remediation runbooks run as
child workflows. The history is bounded by continue-as-new, carrying all of the state.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from domain.errors import DomainError, InvalidTransition
    from domain.incidents.incident import IncidentStatus
    from domain.remediation.runbook import Runbook
    from services.escalation import PageRequest, policy_from_dict
    from services.incident_commands import Command, entry_to_dict, restore, snapshot
    from workflows.common import (
        LOOKUP, POSTMORTEM_WORKFLOW, REMEDIATION_WORKFLOW, notify_options, now_ms, to_application_error)
    from workflows.incident.activities import IncidentActivities
    from workflows.incident.types import Escalation, IncidentCarry, IncidentSettings
    from workflows.postmortem.types import PostmortemInput
    from workflows.remediation.types import RemediationInput, RemediationResult

from workflows.incident.responders import ResponderActions  # noqa: E402 (sandboxed, like this module)

S = IncidentStatus
ABANDON = workflow.ParentClosePolicy.ABANDON
DRY_RUN_TIMELINE = "dry run: no infrastructure was changed"


def _detach(handle: Any) -> None:
    """An abandoned child reports back by signal; its own result is not awaited, so
    retrieve it when it comes to keep asyncio from logging it as lost."""
    handle.add_done_callback(lambda f: f.cancelled() or f.exception())


@workflow.defn(name="IncidentWorkflow")
class IncidentWorkflow(ResponderActions):
    @workflow.init
    def __init__(self, tenant: str, incident_id: str, opened: dict[str, Any] | None = None,
                 carry: IncidentCarry | None = None, settings: IncidentSettings | None = None) -> None:
        self._tenant, self._id = tenant, incident_id
        self._settings = settings or IncidentSettings()
        self._lock = asyncio.Lock()
        self._wake = 0  # bumped by every change the escalation loop must look at
        self._incident, self._frozen, self._policy = None, None, None
        self._esc, self._runs = Escalation(), 0
        self._pages: list[dict[str, Any]] = []
        self._log: list[dict[str, Any]] = []
        self._remediations: list[dict[str, Any]] = []
        self._postmortem: dict[str, Any] | None = None
        if carry is not None:
            self._incident, self._frozen = restore(carry.snapshot), carry.frozen
            self._policy = policy_from_dict(carry.frozen["policy"])
            self._esc, self._pages, self._log = carry.escalation, carry.pages, carry.log
            self._remediations, self._postmortem, self._runs = carry.remediations, carry.postmortem, carry.runs + 1
        elif opened is not None:
            self._incident = restore(opened)
            self._esc = Escalation(round=self._incident.reopen_count)

    @workflow.run
    async def run(self, tenant: str, incident_id: str, opened: dict[str, Any] | None = None,
                  carry: IncidentCarry | None = None, settings: IncidentSettings | None = None) -> dict[str, Any]:
        if self._incident is None:
            loaded = await workflow.execute_activity_method(IncidentActivities.load, args=[tenant, incident_id], **LOOKUP)
            self._incident = restore(loaded)
            self._esc = Escalation(round=self._incident.reopen_count)
        if self._frozen is None:
            self._frozen = await workflow.execute_activity_method(
                IncidentActivities.freeze_escalation, args=[tenant, self._incident.severity.value], **LOOKUP)
            self._policy = policy_from_dict(self._frozen["policy"])
            self._note("escalation_frozen", "system", f"policy {self._policy.name!r}, {self._policy.total_steps} steps")
        while self._incident.status is not S.CLOSED:
            if self._continue_as_new_due():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(args=[tenant, incident_id, None, self._carry(), self._settings])
            await self._postmortem_housekeeping()
            if self._should_page():
                await self._page()
            else:
                await self._wait()
        await self._cancel_postmortem("incident closed")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return snapshot(self._incident)

    # ------------------------------------------------------------- escalation

    def _should_page(self) -> bool:
        e = self._esc
        return self._incident.status is S.TRIGGERED and not (e.paused or e.awaiting or e.exhausted)

    def _timer_running(self) -> bool:
        e = self._esc
        return self._incident.status is S.TRIGGERED and e.awaiting and not e.paused and e.deadline_ms is not None

    async def _wait(self) -> None:
        """Sleep until something the loop cares about changes, or the step times out."""
        token, timeout = self._wake, None
        if self._timer_running():
            if self._esc.escalate_requested:
                return self._advance("escalated_now")
            left = self._esc.deadline_ms - now_ms()
            if left <= 0:
                return self._advance("escalation_timeout")
            timeout = timedelta(milliseconds=left)
        try:
            await workflow.wait_condition(lambda: self._wake != token, timeout=timeout)
        except asyncio.TimeoutError:
            self._advance("escalation_timeout")

    def _advance(self, why: str) -> None:
        e = self._esc
        level = self._policy.step_at(e.step).level_index
        text = "no acknowledgement" if why == "escalation_timeout" else "escalated on request"
        self._note(why, "escalation", f"{text} at level {level + 1} (step {e.step + 1})")
        e.step, e.awaiting, e.deadline_ms, e.escalate_requested = e.step + 1, False, None, False
        if self._policy.step_at(e.step) is None:
            e.exhausted = True
            self._note("escalation_exhausted", "escalation", f"all {self._policy.total_steps} steps paged")

    async def _page(self) -> None:
        e = self._esc
        step = self._policy.step_at(e.step)
        level = self._policy.level(step.level_index)
        e.escalate_requested = False
        at = now_ms()
        schedules = self._frozen["schedules"]
        req = PageRequest(
            tenant=self._tenant, incident_id=self._id, title=self._incident.title,
            severity=self._incident.severity.value, step=e.step, level=step.level_index, cycle=step.cycle,
            targets=[{"kind": t.kind, "ref": t.ref} for t in level.targets],
            schedules={t.ref: schedules[t.ref] for t in level.targets if t.kind == "schedule" and t.ref in schedules},
            at_ms=at, key=f"{self._id}/r{e.round}/s{e.step}")
        try:
            results = await workflow.execute_activity_method(
                IncidentActivities.page, req, **notify_options(self._settings.page_attempts))
        except ActivityError as err:
            results = []
            self._note("page_failed", "escalation", f"step {e.step + 1}: {err.cause or err}")
        for r in results:
            self._pages.append({"at_ms": at, "round": e.round, "step": e.step, "level": step.level_index,
                                "target": r.target, "user": r.user, "key": r.key, "delivered": r.delivered,
                                "detail": r.detail})
            what = f"paged {r.user} via {r.target}" if r.user else f"nobody on call for {r.target}"
            self._note("paged" if r.delivered else "page_failed", "escalation", what,
                       level=str(step.level_index + 1), step=str(e.step + 1), key=r.key)
        self._pages = self._pages[-200:]
        e.awaiting = True
        if e.paused:
            e.remaining_ms = level.timeout_ms
        else:
            e.deadline_ms = now_ms() + level.timeout_ms

    @workflow.signal
    async def pause_escalation(self, actor: str) -> None:
        e = self._esc
        if e.paused:
            return
        e.paused = True
        if e.awaiting and e.deadline_ms is not None:
            e.remaining_ms, e.deadline_ms = max(0, e.deadline_ms - now_ms()), None
        self._note("escalation_paused", actor, f"at step {e.step + 1}")
        self._wake += 1

    @workflow.signal
    async def resume_escalation(self, actor: str) -> None:
        e = self._esc
        if not e.paused:
            return
        e.paused = False
        if e.awaiting:
            e.deadline_ms, e.remaining_ms = now_ms() + (e.remaining_ms or 0), None
        self._note("escalation_resumed", actor, f"at step {e.step + 1}")
        self._wake += 1

    @workflow.update
    async def escalate_now(self, actor: str) -> dict[str, Any]:
        e = self._esc
        e.escalate_requested, e.paused = True, False
        if e.awaiting and e.deadline_ms is None:
            e.deadline_ms, e.remaining_ms = now_ms(), None
        self._note("escalate_now", actor, f"from step {e.step + 1}")
        self._wake += 1
        return self.state()

    @escalate_now.validator
    def _check_escalate_now(self, actor: str) -> None:
        self._require_loaded()
        if self._incident.status is not S.TRIGGERED or self._policy is None:
            raise to_application_error(InvalidTransition("incident", self._incident.status.value, "escalate now"))
        if self._esc.exhausted or (self._esc.awaiting and self._policy.step_at(self._esc.step + 1) is None):
            raise to_application_error(InvalidTransition("escalation", "at its last step", "escalate now"))

    # ------------------------------------------------ remediation and postmortem

    @workflow.update
    async def start_remediation(self, actor: str, runbook: dict[str, Any], dry_run: bool = False) -> dict[str, Any]:
        wid = f"{self._id}.remediation.{len(self._remediations) + 1}"
        entry = {"workflow_id": wid, "runbook": runbook.get("id"), "version": runbook.get("version"),
                 "requested_by": actor, "dry_run": dry_run, "status": "running", "at_ms": now_ms()}
        self._remediations.append(entry)
        inp = RemediationInput(self._tenant, self._id, runbook, actor, dry_run, None if dry_run else self._id)
        if dry_run:
            result = await workflow.execute_child_workflow(REMEDIATION_WORKFLOW, inp, id=wid, result_type=RemediationResult)
            entry["status"] = "dry_run"
            return {"workflow_id": wid, "dry_run": True, "plan": result.plan}
        _detach(await workflow.start_child_workflow(REMEDIATION_WORKFLOW, inp, id=wid, parent_close_policy=ABANDON))
        version = f" v{runbook['version']}" if "version" in runbook else ""  # catalogue runbooks carry theirs
        self._note("remediation_started", actor, f"runbook {runbook.get('id')!r}{version} as {wid}")
        return {"workflow_id": wid, "dry_run": False, "plan": Runbook.from_dict(runbook).plan()}

    @start_remediation.validator
    def _v_start_remediation(self, actor: str, runbook: dict[str, Any], dry_run: bool = False) -> None:
        self._require_loaded()
        try:
            Runbook.from_dict(runbook)
            if self._incident.status is S.CLOSED:
                raise InvalidTransition("incident", "closed", "remediate")
        except DomainError as e:
            raise to_application_error(e) from None

    @workflow.signal
    async def remediation_finished(self, result: RemediationResult) -> None:
        # Steps run against the dry-run infrastructure (no cluster configured) say so.
        simulated = any(isinstance(s.get("detail"), dict) and s["detail"].get("dry_run") for s in result.steps)
        for r in self._remediations:
            if r["workflow_id"] == result.workflow_id:
                r.update(status=result.status, failed_step=result.failed_step, reason=result.reason)
                if simulated:
                    r["note"] = DRY_RUN_TIMELINE
        note = f"{result.workflow_id}: {result.status} {result.reason}".strip()
        self._note("remediation_finished", "remediation", f"{note} ({DRY_RUN_TIMELINE})" if simulated else note)

    async def _postmortem_housekeeping(self) -> None:
        pm, status, rnd = self._postmortem, self._incident.status, self._incident.reopen_count
        if status is S.RESOLVED and (pm is None or pm["round"] != rnd):
            wid = f"{self._id}.postmortem.{rnd}"
            inp = PostmortemInput(
                tenant=self._tenant, incident_id=self._id, round=rnd, snapshot=snapshot(self._incident),
                timeline=self.timeline(), due_at_ms=now_ms() + self._settings.postmortem_due_ms,
                remind_before_ms=self._settings.postmortem_remind_before_ms,
                overdue_every_ms=self._settings.postmortem_overdue_every_ms,
                max_reminders=self._settings.postmortem_max_reminders, parent_workflow_id=self._id)
            try:
                _detach(await workflow.start_child_workflow(POSTMORTEM_WORKFLOW, inp, id=wid, parent_close_policy=ABANDON))
            except WorkflowAlreadyStartedError:
                pass  # started by an earlier run of this incident's workflow: adopt it
            self._postmortem = {"workflow_id": wid, "round": rnd, "status": "open", "started_at_ms": now_ms()}
            self._note("postmortem_started", "system", wid)
        elif pm is not None and pm["status"] == "open" and status in (S.TRIGGERED, S.ACKNOWLEDGED, S.MITIGATED):
            await self._cancel_postmortem("incident reopened")

    async def _cancel_postmortem(self, why: str) -> None:
        pm = self._postmortem
        if pm is None or pm["status"] != "open":
            return
        pm["status"] = "cancelled"
        try:
            await workflow.get_external_workflow_handle(pm["workflow_id"]).cancel()
        except Exception as e:  # already finished: nothing to cancel
            self._note("postmortem_cancel_failed", "system", f"{pm['workflow_id']}: {e}")
        self._note("postmortem_cancelled", "system", f"{pm['workflow_id']}: {why}")

    @workflow.update
    async def publish_postmortem(self, actor: str, body: str = "") -> dict[str, Any]:
        wid = self._postmortem["workflow_id"]
        await workflow.get_external_workflow_handle(wid).signal("publish", args=[actor, body])
        return {"postmortem": wid, "status": "publishing"}

    @publish_postmortem.validator
    def _v_publish_postmortem(self, actor: str, body: str = "") -> None:
        pm = self._postmortem
        if pm is None or pm["status"] != "open":
            state = "none" if pm is None else pm["status"]
            raise to_application_error(InvalidTransition("postmortem", state, "publish"))

    @workflow.signal
    async def postmortem_published(self, workflow_id: str, actor: str) -> None:
        pm = self._postmortem
        if pm is None or pm["workflow_id"] != workflow_id:
            self._note("signal_ignored", actor, f"postmortem {workflow_id} is not this incident's current one")
            return
        pm["status"] = "published"
        self._note("postmortem_published", actor, workflow_id)
        if self._incident.status is S.RESOLVED:
            try:
                await self._act(Command("close", actor))
            except ApplicationError as e:
                self._note("signal_refused", actor, f"close: {e}")

    # ----------------------------------------------------------------- queries

    @workflow.query
    def state(self) -> dict[str, Any]:
        e, inc, pol = self._esc, self._incident, self._policy
        step = None if pol is None or e.exhausted else pol.step_at(e.step)
        return {
            "incident_id": self._id, "tenant": self._tenant,
            "status": "loading" if inc is None else inc.status.value,
            "severity": None if inc is None else inc.severity.value,
            "version": None if inc is None else inc.version,
            "escalation": {
                "policy": None if pol is None else pol.id, "total_steps": None if pol is None else pol.total_steps,
                "round": e.round, "step": e.step, "level": None if step is None else step.level_index,
                "awaiting": e.awaiting, "deadline_ms": e.deadline_ms, "paused": e.paused,
                "remaining_ms": e.remaining_ms, "exhausted": e.exhausted,
                "active": inc is not None and inc.status is S.TRIGGERED and not e.exhausted,
            },
            "pages": self._pages[-50:], "remediations": self._remediations, "postmortem": self._postmortem,
            "continued_as_new": self._runs, "history_length": workflow.info().get_current_history_length(),
        }

    @workflow.query
    def status(self) -> str:
        return "loading" if self._incident is None else self._incident.status.value

    @workflow.query
    def timeline(self) -> list[dict[str, Any]]:
        """The incident's own timeline merged with the workflow's (pages, escalation, children)."""
        own = [] if self._incident is None else [entry_to_dict(x) for x in self._incident.timeline]
        return sorted(own + self._log, key=lambda x: x["at_ms"])

    # ---------------------------------------------------------------- helpers

    def _note(self, kind: str, actor: str, text: str, **data: str) -> None:
        self._log.append({"at_ms": now_ms(), "kind": kind, "actor": actor, "text": text, "data": sorted(data.items())})
        if len(self._log) > self._settings.keep_log:
            del self._log[: len(self._log) - self._settings.keep_log]

    def _continue_as_new_due(self) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or info.get_current_history_length() > self._settings.history_limit

    def _carry(self) -> IncidentCarry:
        return IncidentCarry(snapshot(self._incident), self._frozen, self._esc, self._pages, self._log,
                             self._remediations, self._postmortem, self._runs)
