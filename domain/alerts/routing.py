"""The routing tree: which receiver(s) an alert goes to, grouped how, on what timing.

Alertmanager semantics, depth-first:

* the root matches every alert (it has no matchers);
* a node matches if all its matchers match; its children are tried in order;
* the first matching child ends the search at that level unless it has ``continue``;
* a node none of whose children matched is itself the result.

Children inherit every option they leave unset (``None``) from their parent:
receiver, ``group_by`` and each timing value separately (a child that only sets
``group_wait_ms`` keeps its parent's interval and repeat). ``timing`` sets all three at
once; a per-field value takes precedence over it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.alerts.grouping import ALL_LABELS, GroupTiming, group_key, group_labels
from domain.alerts.time_intervals import TimeInterval
from domain.errors import ValidationError
from domain.metrics.labels import LABEL_NAME_RE, LabelSet
from domain.metrics.matchers import Matcher, matches_all

_ID_RE = re.compile(r"^[A-Za-z0-9_.:/-]{1,128}$")


@dataclass(frozen=True, slots=True)
class Receiver:
    """A named destination; its channels (email, Slack, webhook...) are opaque configs
    interpreted by the notification adapters."""

    name: str
    channels: tuple[Mapping[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValidationError("receiver name must be non-empty", field="name")
        object.__setattr__(self, "channels", tuple(self.channels))


@dataclass(frozen=True, slots=True)
class ResolvedRoute:
    """A matched route with every inherited option filled in."""

    route_id: str
    receiver: str
    group_by: tuple[str, ...]
    timing: GroupTiming
    path: tuple[str, ...]
    mute_time_intervals: tuple[TimeInterval, ...] = ()
    active_time_intervals: tuple[TimeInterval, ...] = ()

    def muted_at(self, at_ms: int) -> str | None:
        """Why the route sends nothing at ``at_ms`` (inside a mute interval, or outside
        every active one), or None when it may notify."""
        for interval in self.mute_time_intervals:
            if interval.contains(at_ms):
                return f"route {self.route_id} is in its mute time interval {interval.name!r}"
        if self.active_time_intervals and not any(i.contains(at_ms) for i in self.active_time_intervals):
            names = ", ".join(repr(i.name) for i in self.active_time_intervals)
            return f"route {self.route_id} is outside its active time intervals ({names})"
        return None

    def group_key(self, labels: LabelSet) -> str:
        return group_key(self.route_id, labels, self.group_by)

    def group_labels(self, labels: LabelSet) -> LabelSet:
        return group_labels(labels, self.group_by)


@dataclass(frozen=True, slots=True)
class Route:
    id: str
    receiver: str | None = None
    matchers: tuple[Matcher, ...] = ()
    group_by: tuple[str, ...] | None = None
    timing: GroupTiming | None = None
    continue_: bool = False
    routes: tuple["Route", ...] = ()
    group_wait_ms: int | None = None
    group_interval_ms: int | None = None
    repeat_interval_ms: int | None = None
    # Not inherited (as in Alertmanager): each route names its own; the root none.
    mute_time_intervals: tuple[TimeInterval, ...] = ()
    active_time_intervals: tuple[TimeInterval, ...] = ()
    _ids: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _ID_RE.fullmatch(self.id):
            raise ValidationError(f"route id {self.id!r} must be 1-128 of [A-Za-z0-9_.:/-]", field="id")
        if self.receiver is not None and (not isinstance(self.receiver, str) or not self.receiver):
            raise ValidationError("receiver must be a non-empty name (or None to inherit)", field=f"routes.{self.id}.receiver")
        object.__setattr__(self, "matchers", tuple(self.matchers))
        object.__setattr__(self, "routes", tuple(self.routes))
        object.__setattr__(self, "mute_time_intervals", tuple(self.mute_time_intervals))
        object.__setattr__(self, "active_time_intervals", tuple(self.active_time_intervals))
        if self.group_by is not None:
            object.__setattr__(self, "group_by", tuple(self.group_by))
            for name in self.group_by:  # type: ignore[union-attr]
                if name != ALL_LABELS and not (isinstance(name, str) and LABEL_NAME_RE.fullmatch(name)):
                    raise ValidationError(f"invalid label name {name!r} in group_by", field=f"routes.{self.id}.group_by")
            if ALL_LABELS in self.group_by and len(self.group_by) > 1:  # type: ignore[operator, arg-type]
                raise ValidationError("'...' groups by all labels; list nothing else", field=f"routes.{self.id}.group_by")
        ids = {self.id}
        for child in self.routes:
            overlap = ids & child._ids
            if overlap:
                raise ValidationError(f"route id {sorted(overlap)[0]!r} is used twice", field="routes")
            ids |= child._ids
        object.__setattr__(self, "_ids", frozenset(ids))

    def _resolve(self, parent: ResolvedRoute | None) -> ResolvedRoute:
        if parent is None:
            if self.receiver is None:
                raise ValidationError("the root route needs a receiver", field="receiver")
            base_timing, base_group_by, path = GroupTiming(), (), ()
        else:
            base_timing, base_group_by, path = parent.timing, parent.group_by, parent.path
        base = self.timing or base_timing
        timing = GroupTiming(
            self.group_wait_ms if self.group_wait_ms is not None else base.group_wait_ms,
            self.group_interval_ms if self.group_interval_ms is not None else base.group_interval_ms,
            self.repeat_interval_ms if self.repeat_interval_ms is not None else base.repeat_interval_ms,
        )
        return ResolvedRoute(
            self.id,
            self.receiver if self.receiver is not None else parent.receiver,  # type: ignore[union-attr]
            self.group_by if self.group_by is not None else base_group_by,
            timing,
            path + (self.id,),
            self.mute_time_intervals,
            self.active_time_intervals,
        )

    def _match(self, labels: LabelSet, parent: ResolvedRoute | None) -> list[ResolvedRoute]:
        if not matches_all(self.matchers, labels):
            return []
        resolved = self._resolve(parent)
        found: list[ResolvedRoute] = []
        for child in self.routes:
            matches = child._match(labels, resolved)
            found += matches
            if matches and not child.continue_:
                break
        return found or [resolved]

    def match(self, labels: LabelSet) -> list[ResolvedRoute]:
        """Route an alert from this node as the root of the tree; never empty."""
        if self.matchers:
            raise ValidationError("the root route matches everything; it cannot have matchers", field="matchers")
        if self.mute_time_intervals or self.active_time_intervals:
            raise ValidationError("the root route cannot have time intervals", field="mute_time_intervals")
        return self._match(labels, None)

    def walk(self) -> list["Route"]:
        """Every node, depth-first (configuration listings and validation)."""
        nodes = [self]
        for child in self.routes:
            nodes += child.walk()
        return nodes

    def receiver_names(self) -> set[str]:
        """Every receiver the tree names, to check against the configured receivers."""
        return {node.receiver for node in self.walk() if node.receiver is not None}
