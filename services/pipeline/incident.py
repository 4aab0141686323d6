"""The incident stage, between inhibition and routing: an alert that will be routed
(neither silenced nor inhibited) opens the incident of its group or is attached to it,
which starts the incident's durable workflow; a resolution is noted on the incident.

Placed after the mutes so a silenced or inhibited alert pages nobody, neither through a
notification nor through an incident's escalation; before grouping so an incident opens
at once, not after ``group_wait``. An alert whose mute ends while it still fires comes
through here on that tick and opens its incident then.
"""

from __future__ import annotations

from domain.alerts.history import Outcome, Stage
from domain.alerts.rules import ALERTNAME
from domain.alerts.state import AlertState
from domain.errors import ValidationError
from domain.incidents.incident import Severity
from services.incident_calls import AlertChange
from services.incidents import IncidentService
from services.pipeline.model import AlertEvent, Context, LiveAlert, PassKind

DEFAULT_SEVERITY = Severity.SEV3


def incident_key(alert: LiveAlert) -> str:
    """Alerts of one rule with the same name share an incident (like one alert group)."""
    return f"rule:{alert.rule_id}:{alert.labels.get(ALERTNAME)}"


def severity_of(text: str) -> Severity:
    if not text:
        return DEFAULT_SEVERITY
    try:
        return Severity.parse(text)
    except ValidationError:
        return DEFAULT_SEVERITY


class IncidentStage:
    """All of a pass' alerts in one unit of work (``IncidentService.take_alerts``): the
    calls the incidents' workflows must hear are left in the outbox, so the pipeline
    never waits on the workflow engine."""

    passes = frozenset({PassKind.ARRIVAL, PassKind.TICK})

    def __init__(self, incidents: IncidentService) -> None:
        self._incidents = incidents

    async def process(self, ctx: Context, events: list[AlertEvent]) -> list[AlertEvent]:
        taken: list[AlertEvent] = []
        changes: list[AlertChange] = []
        for ev in events:
            a = ev.alert
            if ev.restored:
                continue  # handled when it fired, before the restart
            if ev.state is AlertState.FIRING and ev.forwarded:
                title = a.annotations.get("summary") or f"{a.labels.get(ALERTNAME)} firing"
                changes.append(AlertChange(a.tenant, incident_key(a), a.fingerprint, True, ev.at_ms, title,
                                           severity_of(a.labels.get("severity")), a.annotations.get("description", "")))
                taken.append(ev)
            elif ev.state is AlertState.RESOLVED:  # noted even when muted: the incident's timeline should stay true
                changes.append(AlertChange(a.tenant, incident_key(a), a.fingerprint, False, ev.at_ms))
                taken.append(ev)
        for ev, outcome in zip(taken, await self._incidents.take_alerts(changes)):
            told = " (its workflow is told)" if outcome.queued else ""
            if ev.state is AlertState.RESOLVED:
                what = f"resolution noted on incident {outcome.incident_id}{told}" if outcome.incident_id else \
                    "no open incident holds it"
                ctx.decide(ev.alert, Stage.INCIDENT, Outcome.RESOLVED, what)
            else:
                ctx.decide(ev.alert, Stage.INCIDENT, Outcome.INCIDENT_OPENED if outcome.opened else Outcome.INCIDENT_UPDATED,
                           f"incident {outcome.incident_id}{told}")
        return events
