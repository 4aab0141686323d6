"""``PostmortemWorkflow``: started by the incident's workflow when the incident resolves.

It drafts the postmortem from the timeline, tells the owner, reminds them before the
due date, on it and while it is overdue (durable timers, so reminders survive any
restart), and waits for ``publish``. Publishing stores the document and signals the
incident's workflow, which closes the incident. A reopen of the incident cancels this
workflow; the draft is then marked cancelled. ``reassign`` hands it to someone else.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from ports.postmortems import Postmortem
    from services.delivery_jobs import UserMessage
    from services.postmortem import DraftRequest, reminder_times
    from workflows.common import PERSIST, notify_options, now_ms
    from workflows.incident.activities import NotifyActivities
    from workflows.postmortem.activities import PostmortemActivities
    from workflows.postmortem.types import PostmortemInput


@workflow.defn(name="PostmortemWorkflow")
class PostmortemWorkflow:
    @workflow.init
    def __init__(self, inp: PostmortemInput) -> None:
        self._inp = inp
        self._doc: Postmortem | None = None
        self._publish: dict[str, str] | None = None
        self._new_owner: tuple[str, str] | None = None
        self._reminders: list[int] = []

    @workflow.run
    async def run(self, inp: PostmortemInput) -> dict[str, Any]:
        self._doc = await workflow.execute_activity_method(PostmortemActivities.draft, DraftRequest(
            inp.tenant, inp.incident_id, inp.round, inp.snapshot, inp.timeline, inp.due_at_ms, now_ms()), **PERSIST)
        try:
            await self._notify("assigned", f"You own the postmortem of incident {inp.incident_id}",
                               f"Please complete and publish {self._doc.id} by the due date.")
            await self._until_published(inp)
        except asyncio.CancelledError:
            await workflow.execute_activity_method(PostmortemActivities.cancel, args=[inp.tenant, self._doc.id],
                                                   **PERSIST)
            raise
        p = self._publish
        self._doc = await workflow.execute_activity_method(
            PostmortemActivities.publish, args=[inp.tenant, self._doc.id, p["actor"], now_ms(), p["body"]], **PERSIST)
        if inp.parent_workflow_id:
            try:
                await workflow.get_external_workflow_handle(inp.parent_workflow_id).signal(
                    "postmortem_published", args=[workflow.info().workflow_id, p["actor"]])
            except Exception as e:  # the incident's workflow is gone (closed by hand meanwhile)
                workflow.logger.warning("could not tell %s: %s", inp.parent_workflow_id, e)
        return asdict(self._doc)

    async def _until_published(self, inp: PostmortemInput) -> None:
        times = [t for t in reminder_times(inp.due_at_ms, inp.remind_before_ms, inp.overdue_every_ms,
                                           inp.max_reminders) if t > now_ms()]
        while self._publish is None:
            if self._new_owner is not None:
                actor, owner = self._new_owner
                self._new_owner = None
                self._doc = await workflow.execute_activity_method(
                    PostmortemActivities.reassign, args=[inp.tenant, self._doc.id, owner], **PERSIST)
                await self._notify(f"assigned-{len(self._reminders)}-{owner}",
                                   f"{actor} handed you the postmortem of incident {inp.incident_id}",
                                   f"Please complete and publish {self._doc.id}.")
                continue
            timeout = None if not times else timedelta(milliseconds=max(0, times[0] - now_ms()))
            try:
                await workflow.wait_condition(lambda: self._publish is not None or self._new_owner is not None,
                                              timeout=timeout)
            except asyncio.TimeoutError:
                at = times.pop(0)
                self._reminders.append(at)
                late = "is overdue" if at > inp.due_at_ms else "is due" if at == inp.due_at_ms else "is due soon"
                await self._notify(f"reminder-{len(self._reminders)}",
                                   f"Postmortem of incident {inp.incident_id} {late}",
                                   f"{self._doc.id} is still a draft; due {self._doc.due_at_ms}.")

    async def _notify(self, what: str, subject: str, body: str) -> None:
        doc = self._doc
        msg = UserMessage(self._inp.tenant, doc.owner, f"{doc.id}/{what}", subject, body,
                          {"incident_id": self._inp.incident_id, "postmortem": doc.id})
        try:
            await workflow.execute_activity_method(NotifyActivities.notify, msg, **notify_options())
        except ActivityError as e:
            workflow.logger.warning("notifying %s failed: %s", doc.owner, e.cause or e)

    @workflow.signal
    async def publish(self, actor: str, body: str = "") -> None:
        if self._publish is None:
            self._publish = {"actor": actor, "body": body}

    @workflow.signal
    async def reassign(self, actor: str, owner: str) -> None:
        self._new_owner = (actor, owner)

    @workflow.query
    def postmortem(self) -> dict[str, Any]:
        return {"workflow_id": workflow.info().workflow_id,
                "document": None if self._doc is None else asdict(self._doc),
                "reminders_sent_at_ms": self._reminders, "publishing": self._publish is not None}
