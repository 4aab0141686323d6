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
from services.incidents import IncidentService
from services.pipeline.model import AlertEvent, Context, LiveAlert

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
    def __init__(self, incidents: IncidentService) -> None:
        self._incidents = incidents

    async def process(self, ctx: Context, events: list[AlertEvent]) -> list[AlertEvent]:
        for ev in events:
            a = ev.alert
            if ev.restored:
                continue
            if ev.state is AlertState.FIRING and ev.forwarded:
                title = a.annotations.get("summary") or f"{a.labels.get(ALERTNAME)} firing"
                incident, opened = await self._incidents.open_or_attach(
                    a.tenant, incident_key(a), a.fingerprint, title, severity_of(a.labels.get("severity")),
                    ev.at_ms, a.annotations.get("description", ""),
                )
                ctx.decide(a, Stage.INCIDENT, Outcome.INCIDENT_OPENED if opened else Outcome.INCIDENT_UPDATED,
                           f"incident {incident.id}")
            elif ev.state is AlertState.RESOLVED:
                # Noted even when muted: the incident's timeline should stay true.
                await self._incidents.note_alert_resolved(a.tenant, incident_key(a), a.fingerprint, ev.at_ms)
                ctx.decide(a, Stage.INCIDENT, Outcome.RESOLVED, "resolution noted on its incident, if any")
        return events
