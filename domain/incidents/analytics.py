"""MTTA and MTTR: how fast incidents are acknowledged and resolved.

Per incident, time to acknowledge runs from the (first) open to the *first*
acknowledgement, and time to resolve from the first open to the *final* resolution. A
reopen therefore never improves MTTA (the first response is what paged people felt),
and it lengthens MTTR: the clock keeps running from the original open, and a reopened
incident counts as unresolved (None) until it is resolved again. Closing does not stop
or restart anything; it only files the incident.

The means skip incidents that have not reached the milestone yet, and round to whole
milliseconds so they stay integers like every other time in the domain.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.incidents.incident import Incident


def mtta_ms(incident: Incident) -> int | None:
    """Time from open to the first acknowledgement, or None if never acknowledged."""
    first = incident.first_acknowledged_at_ms
    return None if first is None else first - incident.opened_at_ms


def mttr_ms(incident: Incident) -> int | None:
    """Time from open to the final resolution, or None while not (or no longer) resolved."""
    resolved = incident.resolved_at_ms
    return None if resolved is None else resolved - incident.opened_at_ms


def _mean(values: list[int]) -> int | None:
    return round(sum(values) / len(values)) if values else None


def mean_times(incidents: Iterable[Incident]) -> tuple[int | None, int | None]:
    """(mean MTTA, mean MTTR) over the incidents that reached each milestone."""
    acks: list[int] = []
    fixes: list[int] = []
    for inc in incidents:
        if (a := mtta_ms(inc)) is not None:
            acks.append(a)
        if (r := mttr_ms(inc)) is not None:
            fixes.append(r)
    return _mean(acks), _mean(fixes)
