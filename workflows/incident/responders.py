"""The incident workflow's responder actions: updates validated by the domain before
they are accepted (a refused update leaves no trace in the history), the same actions
as fire-and-forget signals, and ``_act``, which applies commands to the aggregate the
workflow holds and projects the result to the repository through an activity.

What travels in the history per change stays small, however long the incident's
timeline grows: the persist activity gets the timeline entries not stored yet (and
the change's domain events), an update answers an ``IncidentChange`` (the stored row
has the rest). ``attach_alerts`` takes many alerts in one update: an alert storm on
one rule is a handful of changes, not one round trip per alert.

A mixin of ``IncidentWorkflow`` (which sets the attributes used here); Temporal
collects the handlers of base classes with the workflow's own.
"""

from __future__ import annotations

from collections.abc import Sequence

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.errors import DomainError
    from ports.workflows import IncidentChange
    from services.incident_commands import ACTIONS, Command, apply, check, events_to_data, restore, snapshot
    from workflows.common import PERSIST, now_ms, to_application_error
    from workflows.incident.activities import IncidentActivities
    from workflows.incident.types import Escalation


class ResponderActions:
    async def _act(self, *cmds: Command) -> IncidentChange:
        """Apply ``cmds`` in order (all of them or, if one is refused, none), then store
        the result once."""
        async with self._lock:
            before = self._incident.status
            version = self._incident.version
            try:
                if len(cmds) > 1:  # all or nothing: a refusal after the first would leave half of them applied
                    self._trial(cmds)
                for cmd in cmds:
                    apply(self._incident, cmd, now_ms())
            except DomainError as e:
                raise to_application_error(e) from None
            changed = self._incident.version != version
            if changed:
                if any(cmd.action == "reopen" for cmd in cmds):
                    self._esc = Escalation(round=self._incident.reopen_count)
                if self._incident.status is not before:
                    self._wake += 1
                await self._persist()
            inc = self._incident
            return IncidentChange(inc.id, inc.version, inc.status.value, inc.severity.value, changed)

    async def _persist(self) -> None:
        """Project the aggregate: the row's fields, the timeline entries it lacks, and the
        events of the changes (stored with them, then published from the outbox)."""
        inc = self._incident
        events = events_to_data(inc)
        try:
            await workflow.execute_activity_method(
                IncidentActivities.persist, args=[snapshot(inc, timeline_from=self._stored), events], **PERSIST)
        except ActivityError as e:
            if not (isinstance(e.cause, ApplicationError) and e.cause.type == "TimelineGap"):
                raise
            await workflow.execute_activity_method(IncidentActivities.persist, args=[snapshot(inc), events], **PERSIST)
        self._stored = len(inc.timeline)

    def _require_loaded(self) -> None:
        if self._incident is None:
            raise ApplicationError("the incident is still loading; try again", type="Unavailable")

    def _validate(self, *cmds: Command) -> None:
        self._require_loaded()
        try:
            self._trial(cmds)
        except DomainError as e:
            raise to_application_error(e) from None

    def _trial(self, cmds: tuple[Command, ...] | list[Command]) -> None:
        """Raise what applying ``cmds`` would raise, changing nothing."""
        if len(cmds) == 1:
            check(self._incident, cmds[0], now_ms())
            return
        trial = restore(snapshot(self._incident))
        for cmd in cmds:
            apply(trial, cmd, now_ms())

    @workflow.update
    async def acknowledge(self, actor: str) -> IncidentChange:
        return await self._act(Command("acknowledge", actor))

    @acknowledge.validator
    def _v_acknowledge(self, actor: str) -> None:
        self._validate(Command("acknowledge", actor))

    @workflow.update
    async def mitigate(self, actor: str, note: str = "") -> IncidentChange:
        return await self._act(Command("mitigate", actor, text=note))

    @mitigate.validator
    def _v_mitigate(self, actor: str, note: str = "") -> None:
        self._validate(Command("mitigate", actor, text=note))

    @workflow.update
    async def resolve(self, actor: str, note: str = "") -> IncidentChange:
        return await self._act(Command("resolve", actor, text=note))

    @resolve.validator
    def _v_resolve(self, actor: str, note: str = "") -> None:
        self._validate(Command("resolve", actor, text=note))

    @workflow.update
    async def reopen(self, actor: str, reason: str) -> IncidentChange:
        return await self._act(Command("reopen", actor, text=reason))

    @reopen.validator
    def _v_reopen(self, actor: str, reason: str) -> None:
        self._validate(Command("reopen", actor, text=reason))

    @workflow.update
    async def close(self, actor: str) -> IncidentChange:
        return await self._act(Command("close", actor))

    @close.validator
    def _v_close(self, actor: str) -> None:
        self._validate(Command("close", actor))

    @workflow.update
    async def add_note(self, actor: str, text: str) -> IncidentChange:
        return await self._act(Command("add_note", actor, text=text))

    @add_note.validator
    def _v_add_note(self, actor: str, text: str) -> None:
        self._validate(Command("add_note", actor, text=text))

    @workflow.update
    async def change_severity(self, actor: str, severity: str) -> IncidentChange:
        return await self._act(Command("change_severity", actor, severity=severity))

    @change_severity.validator
    def _v_change_severity(self, actor: str, severity: str) -> None:
        self._validate(Command("change_severity", actor, severity=severity))

    @workflow.update
    async def attach_alert(self, fingerprint: str, severity: str = "", actor: str = "system") -> IncidentChange:
        return await self._act(Command("attach_alert", actor, severity=severity, fingerprint=fingerprint))

    @attach_alert.validator
    def _v_attach_alert(self, fingerprint: str, severity: str = "", actor: str = "system") -> None:
        self._validate(Command("attach_alert", actor, severity=severity, fingerprint=fingerprint))

    @workflow.update
    async def attach_alerts(self, fingerprints: list[str], severity: str = "", actor: str = "system") -> IncidentChange:
        """Attach several alerts (``severity``, the most severe of theirs, raises the
        incident's if it is more severe); one stored change for all of them."""
        return await self._act(*self._attach_commands(fingerprints, severity, actor))

    @attach_alerts.validator
    def _v_attach_alerts(self, fingerprints: list[str], severity: str = "", actor: str = "system") -> None:
        self._validate(*self._attach_commands(fingerprints, severity, actor))

    @staticmethod
    def _attach_commands(fingerprints: list[str], severity: str, actor: str) -> list[Command]:
        return [Command("attach_alert", actor, severity=severity, fingerprint=fp) for fp in dict.fromkeys(fingerprints)]

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
