"""Alerts raised elsewhere (Alertmanager, Grafana) entering our alert pipeline.

A webhook tells us an alert's current status; we turn each into the state change of a
domain ``Alert`` and publish that ``AlertTransition`` to the alerts topic, exactly as
our own evaluator does, so external alerts go through the same pipeline (dedup,
silences, incidents) and are listed by ``GET /api/v1/alerts``.

Identity: an external alert is its label set, as in Alertmanager; its fingerprint is
ours (``domain.alerts.fingerprint``) so it is stable across senders. Its ``rule_id`` is
``external:<source>:<receiver>``, so alerts of one receiver with the same alertname
share an incident (the pipeline's incident key).

Senders repeat themselves (Alertmanager re-sends firing alerts every
``repeat_interval``, retries on errors) and may deliver out of order, so receiving is
idempotent: a firing alert already firing, or a resolved one already resolved, changes
nothing; a "firing" notice about an activation that has since resolved (its
``startsAt`` is not after our recorded resolution) is stale and ignored.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from domain.alerts.state import Alert, AlertState, AlertTransition
from domain.errors import BatchRejected, LimitExceeded, ValidationError
from domain.metrics.labels import DEFAULT_LIMITS, LabelLimits, LabelSet
from ports.bus import ALERTS_TOPIC, MessageBus
from ports.clock import Clock
from ports.repositories import UnitOfWork, UnitOfWorkRunner
from services.codec import encode_transition

log = logging.getLogger(__name__)
FIRING, RESOLVED = "firing", "resolved"
_NON_LABEL = re.compile(r"[^a-zA-Z0-9_]")


@dataclass(frozen=True, slots=True)
class ExternalAlert:
    """One alert as a webhook reported it (the adapter has parsed the payload)."""

    status: str  # "firing" or "resolved"
    labels: Mapping[str, str]
    annotations: Mapping[str, str] = field(default_factory=dict)
    starts_at_ms: int | None = None
    ends_at_ms: int | None = None
    value: float = math.nan


@dataclass(frozen=True, slots=True)
class ReceiveResult:
    alerts: int
    transitions: int
    fingerprints: tuple[str, ...]


def external_label_name(name: str) -> str:
    """Other systems allow label names we do not (Alertmanager 0.27+ takes UTF-8 names):
    invalid characters become ``_``, a leading digit gets a ``_`` in front."""
    clean = _NON_LABEL.sub("_", name)
    return "_" + clean if clean[:1].isdigit() else clean


def rule_id_for(source: str, receiver: str) -> str:
    return f"external:{source}:{receiver or 'default'}"


class ExternalAlertService:
    def __init__(self, uow: UnitOfWorkRunner, bus: MessageBus, clock: Clock, limits: LabelLimits = DEFAULT_LIMITS) -> None:
        self._uow = uow
        self._bus = bus
        self._clock = clock
        self._limits = limits

    def _labels(self, raw: Mapping[str, str], where: str) -> LabelSet:
        # Names beginning with "__" are private to the sender (Grafana's __alert_rule_uid__...).
        cleaned = {external_label_name(k): v for k, v in raw.items() if k and not k.startswith("__")}
        labels = LabelSet.of(cleaned, self._limits)
        if not len(labels):
            raise ValidationError("an alert needs at least one label", field=f"{where}.labels")
        return labels

    async def receive(self, tenant: str, source: str, receiver: str, alerts: Sequence[ExternalAlert]) -> ReceiveResult:
        """Validate every alert (all or nothing), record their state, publish the changes."""
        now = self._clock.now_ms()
        rule_id = rule_id_for(source, receiver)
        parsed: list[tuple[ExternalAlert, LabelSet]] = []
        errors: list[ValidationError] = []
        for i, a in enumerate(alerts):
            where = f"alerts[{i}]"
            try:
                if a.status not in (FIRING, RESOLVED):
                    raise ValidationError(f"status {a.status!r} must be firing or resolved", field=f"{where}.status")
                parsed.append((a, self._labels(a.labels, where)))
            except ValidationError as exc:
                errors.append(exc if exc.field and exc.field.startswith(where) else exc.at(where))
        if len(errors) == 1 and isinstance(errors[0], LimitExceeded):
            raise errors[0]  # answered as the limit it is (413/422 naming it)
        if errors:
            raise BatchRejected(errors[:20])

        def work(uow: UnitOfWork) -> list[tuple[AlertTransition, Alert]]:
            out: list[tuple[AlertTransition, Alert]] = []
            latest: dict[str, Alert] = {}
            for a, labels in parsed:
                probe = Alert.new(tenant, rule_id, labels)
                stored = latest.get(probe.fingerprint) or uow.alerts.get(tenant, probe.fingerprint)
                alert = stored or probe
                alert.annotations = tuple(sorted(a.annotations.items()))
                if not math.isnan(a.value):
                    alert.value = a.value
                out.extend((t, alert) for t in _apply(alert, a, now))
                latest[alert.fingerprint] = alert
                uow.alerts.save(alert)
            return out

        transitions = await self._uow.run(work)
        for t, alert in transitions:
            await self._bus.publish(ALERTS_TOPIC, t.fingerprint.encode(), encode_transition(t, alert.annotations))
        fingerprints = tuple(dict.fromkeys(Alert.new(tenant, rule_id, labels).fingerprint for _, labels in parsed))
        return ReceiveResult(len(parsed), len(transitions), fingerprints)


def _latest(alert: Alert) -> int:
    times = [t for t in (alert.last_eval_ms, alert.active_at_ms, alert.fired_at_ms, alert.resolved_at_ms) if t is not None]
    return max(times, default=0)


def _apply(alert: Alert, a: ExternalAlert, now: int) -> list[AlertTransition]:
    """The transitions that bring ``alert`` to what the sender reports (maybe none).

    Times come from the sender (``startsAt``/``endsAt``) but never move our alert back
    in time: a clock behind ours is lifted to the alert's last known time.
    """
    floor = _latest(alert)
    if a.status == FIRING:
        if alert.state is AlertState.FIRING:
            return []
        starts = a.starts_at_ms if a.starts_at_ms is not None else now
        if alert.state is AlertState.RESOLVED and alert.resolved_at_ms is not None and starts <= alert.resolved_at_ms:
            return []  # stale: that activation has already resolved
        return [alert.to_firing(max(starts, floor))]
    # resolved
    if alert.state is AlertState.RESOLVED:
        return []
    ends = a.ends_at_ms if a.ends_at_ms is not None and a.ends_at_ms > 0 else now
    if alert.state is AlertState.FIRING:
        return [alert.resolve(max(ends, floor))]
    # Never seen firing (we joined late): record the activation, report only the end.
    starts = a.starts_at_ms if a.starts_at_ms is not None else ends
    alert.to_firing(max(min(starts, ends), floor))
    return [alert.resolve(max(ends, _latest(alert)))]
