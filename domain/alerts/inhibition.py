"""Inhibition: a firing "source" alert mutes related "target" alerts (Alertmanager semantics).

The classic use: while ``ClusterDown{cluster="a"}`` fires, the hundreds of
``InstanceDown{cluster="a"}`` alerts it explains are muted. ``equal`` names the labels
that must have the same value on source and target for the one to mute the other; a
label missing on both counts as equal (both are the empty string, as everywhere in the
Prometheus data model).

An alert matching both the source and the target matchers of a rule must not mute
itself, or a rule like "critical inhibits warning of the same alertname" with loose
matchers could silence everything. Alertmanager goes one step further and we follow it
exactly: when the target also matches the source side, only sources that do *not*
match the target side may inhibit it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain.errors import ValidationError
from domain.metrics.labels import LABEL_NAME_RE, LabelSet
from domain.metrics.matchers import Matcher, matches_all


@dataclass(frozen=True, slots=True)
class InhibitRule:
    source_matchers: tuple[Matcher, ...]
    target_matchers: tuple[Matcher, ...]
    equal: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "source_matchers", tuple(self.source_matchers))
        object.__setattr__(self, "target_matchers", tuple(self.target_matchers))
        object.__setattr__(self, "equal", tuple(self.equal))
        for name in self.equal:
            if not isinstance(name, str) or not LABEL_NAME_RE.fullmatch(name):
                raise ValidationError(f"invalid label name {name!r} in equal", field="equal")

    def is_source(self, labels: LabelSet) -> bool:
        return matches_all(self.source_matchers, labels)

    def is_target(self, labels: LabelSet) -> bool:
        return matches_all(self.target_matchers, labels)

    def equal_on(self, source: LabelSet, target: LabelSet) -> bool:
        """Every ``equal`` label has the same value on both (missing on both = equal)."""
        return all(source.get(name) == target.get(name) for name in self.equal)

    def inhibiting_source(self, target: LabelSet, firing_sources: Iterable[LabelSet]) -> LabelSet | None:
        """The first firing alert that inhibits ``target`` under this rule, if any."""
        if not self.is_target(target):
            return None
        two_sided = self.is_source(target)
        for source in firing_sources:
            if not self.is_source(source) or not self.equal_on(source, target):
                continue
            if two_sided and self.is_target(source):
                continue  # Alertmanager's excludeTwoSidedMatch: never itself, nor its peers
            return source
        return None


@dataclass(frozen=True, slots=True)
class InhibitedBy:
    """Why an alert is muted: which rule (its index in the configuration) and which source."""

    rule_index: int
    rule: InhibitRule
    source_labels: LabelSet


class Inhibitor:
    """Applies a list of inhibit rules; the first one that inhibits wins."""

    __slots__ = ("rules",)

    def __init__(self, rules: Iterable[InhibitRule]) -> None:
        self.rules = tuple(rules)

    def is_inhibited(self, target_labels: LabelSet, firing_sources: Iterable[LabelSet]) -> InhibitedBy | None:
        """``firing_sources`` are the labels of the currently *firing* alerts (resolved ones
        do not inhibit); the target itself may be among them."""
        sources = tuple(firing_sources)
        for index, rule in enumerate(self.rules):
            source = rule.inhibiting_source(target_labels, sources)
            if source is not None:
                return InhibitedBy(index, rule, source)
        return None
