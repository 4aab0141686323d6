"""What flows through the pipeline stages, and what they share.

* ``LiveAlert``: the pipeline's view of one alert (its labels, state, whether it is muted
  and which groups hold it), kept in the ``AlertStore``, the pipeline's counterpart of
  Alertmanager's alert provider. Inhibition reads the firing ones as sources; the clock
  loop re-checks mutes against them.
* ``AlertEvent``: one alert moving through the stages on this pass (a transition from
  the bus, or an alert whose mute changed on a tick, or one restored after a restart).
* ``Context``: one pass (``PassKind``: a batch arriving from the bus, a tick of the
  clock, or the restore after a restart), its clock reading and everything it decided,
  committed at the end in one unit of work (history, delivery audit) before tasks are
  queued; the group notifications a tick flushed travel in it to the notify stage.
* ``PipelineStage``: the one shape of every stage: ``process(ctx, events) -> events``,
  and the kinds of pass it takes part in (``passes``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from domain.alerts.grouping import GroupNotification
from domain.alerts.history import AlertDecision, Outcome, Stage
from domain.alerts.routing import ResolvedRoute
from domain.alerts.state import AlertState, AlertTransition
from domain.metrics.labels import LabelSet
from domain.notifications.delivery import Delivery


@dataclass(frozen=True, slots=True)
class Mute:
    """Why an alert must not be notified: a silence or an inhibiting alert."""

    stage: Stage  # SILENCE or INHIBIT
    key: str  # what mutes it ("silence:<id>", "inhibit:<rule>:<source fingerprint>"): a change is news
    reason: str

    @property
    def outcome(self) -> Outcome:
        return Outcome.SILENCED if self.stage is Stage.SILENCE else Outcome.INHIBITED

    @property
    def lifted(self) -> Outcome:
        return Outcome.UNSILENCED if self.stage is Stage.SILENCE else Outcome.UNINHIBITED


@dataclass(slots=True)
class LiveAlert:
    tenant: str
    fingerprint: str
    labels: LabelSet
    state: AlertState
    annotations: dict[str, str] = field(default_factory=dict)
    rule_id: str = ""
    starts_at_ms: int | None = None
    changed_at_ms: int = 0  # processing time of the last state change (resolved ones expire from it)
    last: tuple[int, str] | None = None  # the last transition processed (dedup); None after a restore
    mute: Mute | None = None
    groups: dict[str, ResolvedRoute] = field(default_factory=dict)  # group key -> route, while forwarded


class AlertStore:
    """Live alerts by (tenant, fingerprint). Resolved ones linger for ``retention`` so a
    late replay is still recognised and their resolution can still be rendered."""

    def __init__(self) -> None:
        self._alerts: dict[tuple[str, str], LiveAlert] = {}

    def get(self, tenant: str, fingerprint: str) -> LiveAlert | None:
        return self._alerts.get((tenant, fingerprint))

    def put(self, alert: LiveAlert) -> None:
        self._alerts[(alert.tenant, alert.fingerprint)] = alert

    def firing(self, tenant: str | None = None) -> Iterator[LiveAlert]:
        for a in list(self._alerts.values()):
            if a.state is AlertState.FIRING and (tenant is None or a.tenant == tenant):
                yield a

    def tenants(self) -> set[str]:
        return {a.tenant for a in self._alerts.values()}

    def expire(self, now_ms: int, retention_ms: int) -> None:
        for key, a in list(self._alerts.items()):
            if a.state is AlertState.RESOLVED and not a.groups and a.changed_at_ms <= now_ms - retention_ms:
                del self._alerts[key]

    def __len__(self) -> int:
        return len(self._alerts)


@dataclass(slots=True)
class AlertEvent:
    alert: LiveAlert
    state: AlertState  # FIRING or RESOLVED
    at_ms: int  # event time (the transition's), for the reasons we record
    mute: Mute | None = None
    routes: list[ResolvedRoute] = field(default_factory=list)
    restored: bool = False  # rebuilt after a restart: its incident was handled already
    transition: AlertTransition | None = None  # set for events from the bus, until dedup took them in

    @classmethod
    def incoming(cls, t: AlertTransition, annotations: Mapping[str, str]) -> "AlertEvent":
        """A transition from the bus, not yet in the store (the dedup stage takes it in)."""
        alert = LiveAlert(t.tenant, t.fingerprint, t.labels, t.to_state, dict(annotations), t.rule_id)
        return cls(alert, t.to_state, t.at_ms, transition=t)

    @property
    def forwarded(self) -> bool:
        return self.mute is None


@dataclass(slots=True)
class Job:
    """A delivery task to queue: its idempotency key and payload."""

    key: str
    payload: Mapping[str, Any]


class PassKind(enum.Enum):
    ARRIVAL = "arrival"  # transitions from the alerts topic
    TICK = "tick"  # the clock: mutes re-checked, due groups flushed and notified
    RESTORE = "restore"  # the stored firing alerts, back into their groups after a restart


ALL_PASSES = frozenset(PassKind)


@dataclass(slots=True)
class Context:
    now_ms: int
    kind: PassKind = PassKind.ARRIVAL
    notifications: list[tuple[str, GroupNotification]] = field(default_factory=list)  # (tenant, n) flushed on a tick
    decisions: list[AlertDecision] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)  # per-pass lookups (silences by tenant ...)

    def decide(self, alert: LiveAlert, stage: Stage, outcome: Outcome, reason: str, **extra: str) -> None:
        self.decide_for(alert.tenant, alert.fingerprint, stage, outcome, reason, **extra)

    def decide_for(self, tenant: str, fingerprint: str, stage: Stage, outcome: Outcome, reason: str, **extra: str) -> None:
        self.decisions.append(AlertDecision(tenant, fingerprint, stage, outcome, reason, self.now_ms, **extra))


class PipelineStage(Protocol):
    """Every stage has this shape: take the events of a pass, act, record, and return
    the events that go on (a stage may drop some, or mark them muted). ``passes``: the
    kinds of pass it takes part in; the pipeline runs one list of stages, in order,
    skipping a stage on the other kinds."""

    passes: ClassVar[frozenset[PassKind]]

    async def process(self, ctx: Context, events: list[AlertEvent]) -> list[AlertEvent]: ...
