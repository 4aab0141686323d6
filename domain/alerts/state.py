"""Alert state: one alert per (rule, series), driven through Prometheus' state machine.

::

    INACTIVE ──active, for>0──▶ PENDING ──active for `for`──▶ FIRING ──inactive──▶ RESOLVED
        │                          │                            ▲                    │
        └──────active, for=0───────┼────────────────────────────┘                    │
                                   └──inactive──▶ INACTIVE      RESOLVED ──active──▶ PENDING / FIRING

A pending alert that goes away was never notified, so it returns to INACTIVE; a firing
alert that goes away is RESOLVED, which is what notifications report. ``keep_firing_for``
holds a firing alert for a while after its condition stopped, against flapping.

Timestamps only move forward: an evaluation older than the last one (a replay after a
restart, since the bus delivers at least once) is ignored, so replays are harmless.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from domain.alerts.fingerprint import fingerprint as _fingerprint
from domain.errors import InvalidTransition, ValidationError
from domain.metrics.labels import LabelSet

if TYPE_CHECKING:  # only for annotations: the alert pipeline need not load the query model
    from domain.alerts.rules import RuleBase, RuleResult


class AlertState(str, enum.Enum):
    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"


TRANSITIONS: Mapping[AlertState, frozenset[AlertState]] = {
    AlertState.INACTIVE: frozenset({AlertState.PENDING, AlertState.FIRING}),
    AlertState.PENDING: frozenset({AlertState.FIRING, AlertState.INACTIVE}),
    AlertState.FIRING: frozenset({AlertState.RESOLVED}),
    AlertState.RESOLVED: frozenset({AlertState.PENDING, AlertState.FIRING}),
}
"""Every legal state change. Anything else is refused with ``InvalidTransition``."""


@dataclass(frozen=True, slots=True)
class AlertTransition:
    """A state change of one alert: what the evaluator publishes to the alerts topic."""

    fingerprint: str
    from_state: AlertState
    to_state: AlertState
    at_ms: int
    labels: LabelSet
    value: float
    tenant: str = ""
    rule_id: str = ""


@dataclass(eq=False, slots=True)
class Alert:
    """An entity: identity is ``(tenant, rule_id, fingerprint)``; the rest changes over time.

    Build it with ``Alert.new`` or ``Alert.for_rule`` so the fingerprint matches the labels.
    """

    tenant: str
    rule_id: str
    labels: LabelSet
    fingerprint: str
    annotations: tuple[tuple[str, str], ...] = ()
    state: AlertState = AlertState.INACTIVE
    active_at_ms: int | None = None
    fired_at_ms: int | None = None
    resolved_at_ms: int | None = None
    keep_firing_since_ms: int | None = None
    last_eval_ms: int | None = None
    value: float = field(default=math.nan)

    @classmethod
    def new(
        cls,
        tenant: str,
        rule_id: str,
        labels: LabelSet,
        annotations: Mapping[str, str] | tuple[tuple[str, str], ...] = (),
    ) -> "Alert":
        pairs = tuple(sorted(annotations.items())) if isinstance(annotations, Mapping) else tuple(annotations)
        return cls(tenant, rule_id, labels, _fingerprint(labels), pairs)

    @classmethod
    def for_rule(cls, rule: RuleBase, series_labels: LabelSet) -> "Alert":
        """The (still inactive) alert of ``rule`` on the series with ``series_labels``."""
        return cls.new(rule.tenant, rule.id, rule.alert_labels(series_labels))

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.tenant, self.rule_id, self.fingerprint)

    # -- guards --------------------------------------------------------------------

    def _latest_ms(self) -> int | None:
        times = [t for t in (self.last_eval_ms, self.active_at_ms, self.fired_at_ms, self.resolved_at_ms) if t is not None]
        return max(times) if times else None

    def _check(self, target: AlertState, now_ms: int, event: str) -> None:
        if target not in TRANSITIONS[self.state]:
            raise InvalidTransition("alert", self.state.value, event)
        latest = self._latest_ms()
        if latest is not None and now_ms < latest:
            raise ValidationError(f"time went backwards: {now_ms} is before {latest}", field="now_ms")

    def _transition(self, from_state: AlertState, now_ms: int) -> AlertTransition:
        return AlertTransition(
            self.fingerprint, from_state, self.state, now_ms, self.labels, self.value, self.tenant, self.rule_id
        )

    # -- explicit transitions --------------------------------------------------------

    def to_pending(self, now_ms: int) -> AlertTransition:
        """The condition became true; it now has to hold for the rule's ``for``."""
        self._check(AlertState.PENDING, now_ms, "become pending")
        before = self.state
        self.state = AlertState.PENDING
        self.active_at_ms = now_ms
        self.fired_at_ms = self.resolved_at_ms = self.keep_firing_since_ms = None
        return self._transition(before, now_ms)

    def to_firing(self, now_ms: int, *, for_ms: int = 0) -> AlertTransition:
        """Fire: from PENDING once ``for_ms`` has elapsed, or straight away when ``for_ms`` is 0.

        ``for_ms`` is the rule's ``for``: the guard keeps "firing implies it held for
        ``for``" true no matter who drives the transition.
        """
        self._check(AlertState.FIRING, now_ms, "fire")
        if self.state is AlertState.PENDING:
            assert self.active_at_ms is not None
            if now_ms - self.active_at_ms < for_ms:
                raise InvalidTransition("alert", self.state.value, f"fire before its for of {for_ms} ms elapsed")
        elif for_ms > 0:
            raise InvalidTransition("alert", self.state.value, f"fire without pending for {for_ms} ms")
        before = self.state
        if before is not AlertState.PENDING:
            self.active_at_ms = now_ms
        self.state = AlertState.FIRING
        self.fired_at_ms = now_ms
        self.resolved_at_ms = self.keep_firing_since_ms = None
        return self._transition(before, now_ms)

    def to_inactive(self, now_ms: int) -> AlertTransition:
        """A pending alert whose condition went away before ``for`` elapsed: never notified."""
        self._check(AlertState.INACTIVE, now_ms, "become inactive")
        before = self.state
        self.state = AlertState.INACTIVE
        self.active_at_ms = self.fired_at_ms = self.resolved_at_ms = self.keep_firing_since_ms = None
        return self._transition(before, now_ms)

    def resolve(self, now_ms: int) -> AlertTransition:
        """A firing alert whose condition went away (after ``keep_firing_for``)."""
        self._check(AlertState.RESOLVED, now_ms, "resolve")
        before = self.state
        self.state = AlertState.RESOLVED
        self.resolved_at_ms = now_ms
        self.keep_firing_since_ms = None
        return self._transition(before, now_ms)

    def withdraw(self, now_ms: int) -> AlertTransition | None:
        """The rule behind this alert was deleted, disabled, or changed what it evaluates:
        a firing alert resolves and a pending one goes inactive (notifications say it
        ended rather than leaving it firing for ever). At its last evaluation: the
        evaluator runs on sample time, and a sample that arrives late must still count
        if the rule is enabled again (``now_ms`` only if it was never evaluated)."""
        latest = self._latest_ms()
        at = now_ms if latest is None else latest
        if self.state is AlertState.FIRING:
            return self.resolve(at)
        if self.state is AlertState.PENDING:
            return self.to_inactive(at)
        return None

    # -- evaluation ------------------------------------------------------------------

    def observe(
        self, result: RuleResult, now_ms: int, for_ms: int, keep_firing_for_ms: int = 0
    ) -> AlertTransition | None:
        """Apply one evaluation of the rule; return the state change it caused, if any.

        ``for_ms``/``keep_firing_for_ms`` come from the rule at evaluation time (a rule
        edit applies to alerts already pending, as in Prometheus).
        """
        if for_ms < 0 or keep_firing_for_ms < 0:
            raise ValidationError("for_ms and keep_firing_for_ms must be >= 0", field="for_ms")
        latest = self._latest_ms()
        if latest is not None and now_ms < latest:
            return None  # a replayed, older evaluation: already accounted for
        self.last_eval_ms = now_ms
        if result.active:
            self.value = result.value
            if self.state in (AlertState.INACTIVE, AlertState.RESOLVED):
                return self.to_firing(now_ms) if for_ms == 0 else self.to_pending(now_ms)
            if self.state is AlertState.PENDING:
                assert self.active_at_ms is not None
                if now_ms - self.active_at_ms >= for_ms:
                    return self.to_firing(now_ms, for_ms=for_ms)
                return None
            self.keep_firing_since_ms = None  # FIRING and still true
            return None
        if self.state is AlertState.PENDING:
            return self.to_inactive(now_ms)
        if self.state is AlertState.FIRING:
            if keep_firing_for_ms > 0:
                if self.keep_firing_since_ms is None:
                    self.keep_firing_since_ms = now_ms
                if now_ms - self.keep_firing_since_ms < keep_firing_for_ms:
                    return None
            return self.resolve(now_ms)
        return None  # INACTIVE or RESOLVED and still not true


def _require(condition: bool, alert: Alert, what: str) -> None:
    if not condition:
        raise AssertionError(f"alert {alert.fingerprint} in {alert.state.value}: {what}")


def check_invariants(alert: Alert) -> None:
    """Raise ``AssertionError`` if the alert is in a state no sequence of events can produce.

    Used by the property tests; explicit checks (not ``assert``) so it also works under ``-O``.
    """
    s = alert.state
    _require(s in TRANSITIONS, alert, "unknown state")
    times = (alert.active_at_ms, alert.fired_at_ms, alert.resolved_at_ms)
    if s is AlertState.INACTIVE:
        _require(times == (None, None, None), alert, "an inactive alert carries no times")
    if s is AlertState.PENDING:
        _require(times[0] is not None and times[1:] == (None, None), alert, "pending needs active_at only")
    if s in (AlertState.FIRING, AlertState.RESOLVED):
        _require(times[0] is not None and times[1] is not None, alert, "needs active_at and fired_at")
        _require(times[1] >= times[0], alert, "fired before it became active")  # type: ignore[operator]
    if s is AlertState.FIRING:
        _require(times[2] is None, alert, "a firing alert has no resolved_at")
    if s is AlertState.RESOLVED:
        _require(times[2] is not None and times[2] >= times[1], alert, "resolved before it fired")  # type: ignore[operator]
    _require(alert.keep_firing_since_ms is None or s is AlertState.FIRING, alert, "keep_firing_since outside FIRING")
