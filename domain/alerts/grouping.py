"""Alert groups and their notification timing (Alertmanager's aggregation groups).

Grouping turns a storm into one message: alerts that share the route's ``group_by``
labels form a group, and a group notifies on its own schedule:

* the first notification waits ``group_wait`` after the group's first alert, so alerts
  that arrive together go out together;
* after that the group is looked at every ``group_interval``: it notifies if the
  receiver's picture is out of date (a new firing alert, or one it was told about has
  resolved); otherwise it re-sends the unchanged picture once ``repeat_interval`` has
  passed since the last notification;
* a resolved alert is reported once and then dropped; a group left with no alerts is
  done (the dispatcher forgets it; a later alert starts a new group with ``group_wait``).

Deliberate differences from Alertmanager: the repeat check is ``>=`` (Alertmanager's
strict comparison delays a repeat to the next tick when the intervals divide evenly),
and a resolved alert the receiver was never told about is dropped without a message.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from domain.alerts.fingerprint import group_fingerprint
from domain.alerts.state import AlertState
from domain.errors import InvalidTransition, ValidationError
from domain.metrics.labels import EMPTY, LabelSet

ALL_LABELS = "..."
"""``group_by=("...",)`` groups by every label, i.e. one group per alert."""


@dataclass(frozen=True, slots=True)
class GroupTiming:
    group_wait_ms: int = 30_000
    group_interval_ms: int = 300_000
    repeat_interval_ms: int = 14_400_000

    def __post_init__(self) -> None:
        for name in ("group_wait_ms", "group_interval_ms", "repeat_interval_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValidationError(f"{name} must be an integer >= 0", field=name)
        if self.group_interval_ms == 0 or self.repeat_interval_ms == 0:
            raise ValidationError("group_interval_ms and repeat_interval_ms must be > 0", field="group_interval_ms")


def group_labels(labels: LabelSet, group_by: tuple[str, ...]) -> LabelSet:
    """The labels that identify an alert's group."""
    return labels if ALL_LABELS in group_by else labels.only(group_by)


def group_key(route_id: str, labels: LabelSet, group_by: tuple[str, ...]) -> str:
    """16 hex characters naming the group an alert with ``labels`` falls into on a route."""
    return group_fingerprint(route_id, group_labels(labels, group_by))


@dataclass(frozen=True, slots=True)
class GroupedAlert:
    fingerprint: str
    labels: LabelSet


@dataclass(frozen=True, slots=True)
class GroupNotification:
    """What a receiver is told: the group's firing alerts and the ones that just resolved."""

    group_key: str
    receiver: str
    firing: tuple[GroupedAlert, ...]
    resolved: tuple[GroupedAlert, ...]
    at_ms: int
    group_labels: LabelSet = EMPTY

    @property
    def idempotency_key(self) -> str:
        """Same notification, same key: a retried delivery never pages twice."""
        parts = [self.group_key, self.receiver, str(self.at_ms)]
        parts += ["+" + a.fingerprint for a in self.firing] + ["-" + a.fingerprint for a in self.resolved]
        return hashlib.blake2b("\x00".join(parts).encode(), digest_size=16).hexdigest()


@dataclass(slots=True)
class _Member:
    labels: LabelSet
    state: AlertState


class AlertGroup:
    """The alerts of one group on one route, and when to tell the receiver about them."""

    def __init__(
        self,
        group_key: str,
        receiver: str,
        timing: GroupTiming = GroupTiming(),
        labels: LabelSet = EMPTY,
    ) -> None:
        self.group_key = group_key
        self.receiver = receiver
        self.timing = timing
        self.labels = labels
        self._members: dict[str, _Member] = {}
        self._next_flush_ms: int | None = None
        self._last_notified_ms: int | None = None
        self._notified_firing: frozenset[str] = frozenset()
        self._started = False
        self._done = False

    # -- reading ---------------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self._done

    @property
    def last_notified_ms(self) -> int | None:
        return self._last_notified_ms

    def alerts(self) -> dict[str, tuple[LabelSet, AlertState]]:
        return {fp: (m.labels, m.state) for fp, m in self._members.items()}

    def next_flush_ms(self) -> int | None:
        """When ``flush`` is next due; None before the first alert and once done."""
        return self._next_flush_ms

    # -- changes ---------------------------------------------------------------------

    def add(self, alert_labels: LabelSet, fingerprint: str, state: AlertState, now_ms: int) -> None:
        """Record an alert's current state (firing or resolved)."""
        state = AlertState(state)
        if state not in (AlertState.FIRING, AlertState.RESOLVED):
            raise ValidationError(f"only firing and resolved alerts are grouped, not {state.value}", field="state")
        if self._done:
            raise InvalidTransition("alert group", "done", "take a new alert")
        if state is AlertState.RESOLVED and fingerprint not in self._members and fingerprint not in self._notified_firing:
            return  # resolved before we ever held it: nothing to tell anyone
        self._members[fingerprint] = _Member(alert_labels, state)
        if not self._started:
            self._started = True
            self._next_flush_ms = now_ms + self.timing.group_wait_ms

    def withdraw(self, fingerprint: str) -> bool:
        """Take an alert out without telling anyone (it got silenced or inhibited).

        Not a resolution: the receiver is not told it resolved, it simply no longer
        appears (Alertmanager's behaviour for muted alerts). If it comes back while
        the receiver still knows it as firing, it is not news. A group left empty is
        done at its next flush.
        """
        return self._members.pop(fingerprint, None) is not None

    def flush(self, now_ms: int) -> GroupNotification | None:
        """Run the group's timer if it is due; return the notification to send, if any."""
        if self._next_flush_ms is None or now_ms < self._next_flush_ms:
            return None
        firing = {fp for fp, m in self._members.items() if m.state is AlertState.FIRING}
        known_resolved = {
            fp for fp, m in self._members.items() if m.state is AlertState.RESOLVED and fp in self._notified_firing
        }
        if self._last_notified_ms is None:
            notify = bool(firing)
        elif not firing <= self._notified_firing or known_resolved:
            notify = True
        else:
            notify = bool(firing) and now_ms - self._last_notified_ms >= self.timing.repeat_interval_ms
        notification = None
        if notify:
            notification = GroupNotification(
                self.group_key,
                self.receiver,
                tuple(GroupedAlert(fp, self._members[fp].labels) for fp in sorted(firing)),
                tuple(GroupedAlert(fp, self._members[fp].labels) for fp in sorted(known_resolved)),
                now_ms,
                self.labels,
            )
            self._notified_firing = frozenset(firing)
            self._last_notified_ms = now_ms
        for fp in [fp for fp, m in self._members.items() if m.state is AlertState.RESOLVED]:
            del self._members[fp]
        if self._members:
            self._next_flush_ms = now_ms + self.timing.group_interval_ms
        else:
            self._next_flush_ms = None
            self._done = True
        return notification
