"""The incident workflow's responder actions: updates validated by the domain before
they are accepted (a refused update leaves no trace in the history), the same actions
as fire-and-forget signals, and ``_act``, which applies one to the aggregate the
workflow holds and projects the result to the repository through an activity.

A mixin of ``IncidentWorkflow`` (which sets the attributes used here); Temporal
collects the handlers of base classes with the workflow's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.errors import DomainError
    from services.incident_commands import ACTIONS, Command, apply, check, snapshot
    from workflows.common import PERSIST, now_ms, to_application_error
    from workflows.incident.activities import IncidentActivities
    from workflows.incident.types import Escalation


class ResponderActions:
    async def _act(self, cmd: Command) -> dict[str, Any]:
        async with self._lock:
            before = self._incident.status
            try:
                changed = apply(self._incident, cmd, now_ms())
            except DomainError as e:
                raise to_application_error(e) from None
            if changed:
                if cmd.action == "reopen":
                    self._esc = Escalation(round=self._incident.reopen_count)
                if self._incident.status is not before:
                    self._wake += 1
                await workflow.execute_activity_method(IncidentActivities.persist, snapshot(self._incident), **PERSIST)
            return snapshot(self._incident)

    def _require_loaded(self) -> None:
        if self._incident is None:
            raise ApplicationError("the incident is still loading; try again", type="Unavailable")

    def _validate(self, cmd: Command) -> None:
        self._require_loaded()
        try:
            check(self._incident, cmd, now_ms())
        except DomainError as e:
            raise to_application_error(e) from None

    @workflow.update
    async def acknowledge(self, actor: str) -> dict[str, Any]:
        return await self._act(Command("acknowledge", actor))

    @acknowledge.validator
    def _v_acknowledge(self, actor: str) -> None:
        self._validate(Command("acknowledge", actor))

    @workflow.update
    async def mitigate(self, actor: str, note: str = "") -> dict[str, Any]:
        return await self._act(Command("mitigate", actor, text=note))

    @mitigate.validator
    def _v_mitigate(self, actor: str, note: str = "") -> None:
        self._validate(Command("mitigate", actor, text=note))

    @workflow.update
    async def resolve(self, actor: str, note: str = "") -> dict[str, Any]:
        return await self._act(Command("resolve", actor, text=note))

    @resolve.validator
    def _v_resolve(self, actor: str, note: str = "") -> None:
        self._validate(Command("resolve", actor, text=note))

    @workflow.update
    async def reopen(self, actor: str, reason: str) -> dict[str, Any]:
        return await self._act(Command("reopen", actor, text=reason))

    @reopen.validator
    def _v_reopen(self, actor: str, reason: str) -> None:
        self._validate(Command("reopen", actor, text=reason))

    @workflow.update
    async def close(self, actor: str) -> dict[str, Any]:
        return await self._act(Command("close", actor))

    @close.validator
    def _v_close(self, actor: str) -> None:
        self._validate(Command("close", actor))

    @workflow.update
    async def add_note(self, actor: str, text: str) -> dict[str, Any]:
        return await self._act(Command("add_note", actor, text=text))

    @add_note.validator
    def _v_add_note(self, actor: str, text: str) -> None:
        self._validate(Command("add_note", actor, text=text))

    @workflow.update
    async def change_severity(self, actor: str, severity: str) -> dict[str, Any]:
        return await self._act(Command("change_severity", actor, severity=severity))

    @change_severity.validator
    def _v_change_severity(self, actor: str, severity: str) -> None:
        self._validate(Command("change_severity", actor, severity=severity))

    @workflow.update
    async def attach_alert(self, fingerprint: str, severity: str = "", actor: str = "system") -> dict[str, Any]:
        return await self._act(Command("attach_alert", actor, severity=severity, fingerprint=fingerprint))

    @attach_alert.validator
    def _v_attach_alert(self, fingerprint: str, severity: str = "", actor: str = "system") -> None:
        self._validate(Command("attach_alert", actor, severity=severity, fingerprint=fingerprint))

    @workflow.signal(dynamic=True)
    async def on_signal(self, name: str, args: Sequence[RawValue]) -> None:
        """The responder actions as signals (fire and forget): refused ones are logged."""
        if name not in ACTIONS:
            self._note("signal_ignored", "system", f"unknown signal {name!r}")
            return
        try:
            cmd = Command.from_args(name, [workflow.payload_converter().from_payload(a.payload) for a in args])
            self._validate(cmd)
            await self._act(cmd)
        except (ApplicationError, DomainError, IndexError, TypeError) as e:
            self._note("signal_refused", "system", f"{name}: {e}")
