"""Alert rules: what condition, on which series, held for how long.

Three kinds share one header (id, tenant, alert name, selector, ``for``, labels,
annotations, ``keep_firing_for``) and differ in what they evaluate:

* ``ThresholdRule``: aggregate the samples of a window, compare with a threshold;
* ``AbsenceRule``: a series that stopped reporting (or never did);
* ``AnomalyRule``: a streaming detector's score reached a level.

Evaluation here is a pure function of its inputs and returns a ``RuleResult``; turning
results into pending/firing/resolved alerts is ``state.Alert.observe``'s job, so the
``for`` logic exists once for every rule kind.

A rule is also a configuration resource (docs/adr/0017-configuration-resources.md): it
belongs to a ``group``, can be disabled (``enabled``) without being deleted, and carries
the ``version`` its writes are checked against, and who wrote it last and when. None of
these change what the rule evaluates (``evaluation_key``).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Union

from domain.alerts.templates import expand
from domain.errors import ValidationError
from domain.metrics.aggregations import Aggregation, aggregate, coerce_aggregation
from domain.metrics.labels import EMPTY, LABEL_NAME_RE, LabelSet, validate_metric_name
from domain.metrics.matchers import MatchOp
from domain.metrics.query import Selector
from domain.metrics.samples import Sample, format_value

ALERTNAME = "alertname"
DEFAULT_GROUP = "default"
MAX_GROUP_LENGTH = 200


class Comparison(str, enum.Enum):
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="
    EQ = "=="
    NE = "!="

    def holds(self, value: float, threshold: float) -> bool:
        """``value <op> threshold``. NaN never holds, not even for ``!=``.

        Python's ``nan != x`` is True; an alert must not fire because a series has no
        data (aggregate of nothing is NaN), so NaN is checked first.
        """
        if math.isnan(value) or math.isnan(threshold):
            return False
        if self is Comparison.GT:
            return value > threshold
        if self is Comparison.GE:
            return value >= threshold
        if self is Comparison.LT:
            return value < threshold
        if self is Comparison.LE:
            return value <= threshold
        if self is Comparison.EQ:
            return value == threshold
        return value != threshold


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One evaluation of one rule on one series: is the condition met, and the value."""

    active: bool
    value: float


def _check_duration(value: object, name: str, *, positive: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{name} must be an integer number of milliseconds", field=name)
    if value < 0 or (positive and value == 0):
        raise ValidationError(f"{name} must be {'> 0' if positive else '>= 0'}, got {value}", field=name)
    return value


def _annotation_pairs(annotations: object) -> tuple[tuple[str, str], ...]:
    items = list(annotations.items()) if isinstance(annotations, Mapping) else list(annotations)  # type: ignore[call-overload]
    seen: dict[str, str] = {}
    for key, text in items:
        if not isinstance(key, str) or not LABEL_NAME_RE.fullmatch(key):
            raise ValidationError(f"invalid annotation name {key!r}", field=f"annotations.{key}")
        if not isinstance(text, str):
            raise ValidationError(f"annotation {key!r} must be a string", field=f"annotations.{key}")
        if key in seen:
            raise ValidationError(f"annotation {key!r} given twice", field=f"annotations.{key}")
        seen[key] = text
    return tuple(sorted(seen.items()))


def _check_group(group: object) -> None:
    if not isinstance(group, str) or not group.strip():
        raise ValidationError("group must be a non-empty name", field="group")
    if len(group) > MAX_GROUP_LENGTH:
        raise ValidationError(f"group is at most {MAX_GROUP_LENGTH} characters", field="group")
    if any(ord(c) < 32 or ord(c) == 127 for c in group):
        raise ValidationError("group must not contain control characters", field="group")


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleBase:
    """The header every rule kind shares. Construct the concrete kinds, not this."""

    id: str
    tenant: str
    name: str
    selector: Selector
    for_ms: int = 0
    labels: LabelSet = EMPTY
    annotations: tuple[tuple[str, str], ...] = ()
    keep_firing_for_ms: int = 0
    group: str = DEFAULT_GROUP
    enabled: bool = True
    version: int = 1
    updated_by: str = ""
    updated_at_ms: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValidationError("rule id must be a non-empty string", field="id")
        if not isinstance(self.tenant, str) or not self.tenant:
            raise ValidationError("rule tenant must be a non-empty string", field="tenant")
        validate_metric_name(self.name, field="name")
        if isinstance(self.selector, str):
            object.__setattr__(self, "selector", Selector.parse(self.selector))
        _check_duration(self.for_ms, "for_ms")
        _check_duration(self.keep_firing_for_ms, "keep_firing_for_ms")
        if not isinstance(self.labels, LabelSet):
            object.__setattr__(self, "labels", LabelSet.of(self.labels))
        if ALERTNAME in self.labels:
            raise ValidationError("the alertname label is the rule's name; do not set it", field="labels.alertname")
        object.__setattr__(self, "annotations", _annotation_pairs(self.annotations))
        _check_group(self.group)
        if not isinstance(self.enabled, bool):
            raise ValidationError("enabled must be true or false", field="enabled")
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise ValidationError(f"version must be an integer >= 1, got {self.version!r}", field="version")

    def alert_labels(self, series_labels: LabelSet) -> LabelSet:
        """The labels of this rule's alert on a series: rule labels over series labels, plus alertname."""
        return series_labels.merged(self.labels).merged({ALERTNAME: self.name})


@dataclass(frozen=True, slots=True, kw_only=True)
class ThresholdRule(RuleBase):
    """``aggregation(samples in window) <comparison> threshold``, e.g. avg over 5m > 0.9."""

    aggregation: Aggregation
    window_ms: int
    comparison: Comparison
    threshold: float
    q: float | None = None

    def __post_init__(self) -> None:
        RuleBase.__post_init__(self)
        object.__setattr__(self, "aggregation", coerce_aggregation(self.aggregation, field="aggregation"))
        try:
            object.__setattr__(self, "comparison", Comparison(self.comparison))
        except ValueError:
            raise ValidationError(f"unknown comparison {self.comparison!r}", field="comparison") from None
        _check_duration(self.window_ms, "window_ms", positive=True)
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, float)) or math.isnan(self.threshold):
            raise ValidationError("threshold must be a number (not NaN)", field="threshold")
        object.__setattr__(self, "threshold", float(self.threshold))
        if self.aggregation is Aggregation.QUANTILE:
            if self.q is None or not (0.0 <= self.q <= 1.0):
                raise ValidationError("the quantile aggregation needs q in [0, 1]", field="q")
        elif self.q is not None:
            raise ValidationError("q is only meaningful for the quantile aggregation", field="q")

    def evaluate(self, samples_in_window: Sequence[Sample]) -> RuleResult:
        """Aggregate the window's samples (the caller selects them) and compare.

        An empty window aggregates to NaN (COUNT to 0), and NaN never holds, so a
        series without data never makes a threshold rule active; that is an
        ``AbsenceRule``'s job.
        """
        value = aggregate(self.aggregation, samples_in_window, q=self.q)
        return RuleResult(self.comparison.holds(value, self.threshold), value)


@dataclass(frozen=True, slots=True, kw_only=True)
class AbsenceRule(RuleBase):
    """Active when a series has sent nothing for ``absent_for_ms``."""

    absent_for_ms: int

    def __post_init__(self) -> None:
        RuleBase.__post_init__(self)
        _check_duration(self.absent_for_ms, "absent_for_ms", positive=True)

    def evaluate(self, last_seen_ms: int | None, now_ms: int, *, since_ms: int | None = None) -> RuleResult:
        """``value`` is how long the series has been silent, in milliseconds.

        A series never seen counts from ``since_ms`` (when the rule was created or
        the evaluator started watching), so a new rule does not fire at once for
        everything it has not yet had a chance to see.
        """
        reference = last_seen_ms if last_seen_ms is not None else since_ms
        if reference is None:
            raise ValidationError("a never-seen series needs since_ms (when watching began)", field="since_ms")
        silent_ms = max(0, now_ms - reference)
        return RuleResult(silent_ms >= self.absent_for_ms, float(silent_ms))

    def absent_labels(self) -> LabelSet:
        """Labels for the alert of a series that never reported: the selector's equality matchers.

        That is what Prometheus' ``absent()`` does: without a series there are no series
        labels, only what the selector pinned down.
        """
        pairs = {
            m.name: m.value
            for m in self.selector.matchers
            if m.op is MatchOp.EQ and m.value and not m.name.startswith("__")
        }
        return LabelSet.of(pairs)


@dataclass(frozen=True, slots=True, kw_only=True)
class AnomalyRule(RuleBase):
    """Active when the named detector's score for a series reaches ``level`` (0 < level <= 1)."""

    detector: str
    level: float

    def __post_init__(self) -> None:
        RuleBase.__post_init__(self)
        if not isinstance(self.detector, str) or not self.detector:
            raise ValidationError("detector must be a non-empty string", field="detector")
        if isinstance(self.level, bool) or not isinstance(self.level, (int, float)) or not (0.0 < self.level <= 1.0):
            raise ValidationError(f"level must be in (0, 1], got {self.level!r}", field="level")
        object.__setattr__(self, "level", float(self.level))

    def evaluate(self, score: float) -> RuleResult:
        """Active when ``score >= level``; a NaN score (detector warming up) is never active."""
        return RuleResult(Comparison.GE.holds(score, self.level), score)


AlertRule = Union[ThresholdRule, AbsenceRule, AnomalyRule]

RESOURCE_FIELDS = ("group", "enabled", "version", "updated_by", "updated_at_ms")
"""The fields of a rule as a resource: none of them changes what the rule evaluates."""
STATE_KEEPING_FIELDS = (*RESOURCE_FIELDS, "for_ms", "keep_firing_for_ms", "annotations")
"""Fields an edit may change while the rule's alerts keep their state (as Prometheus
keeps pending alerts across a change of ``for``)."""


def alerts_key(rule: AlertRule) -> tuple:
    """Which alerts a rule makes: its kind, alert name, selector and labels. When these
    change, the rule's alerts are other alerts (other labels, other series)."""
    return (type(rule).__name__, rule.tenant, rule.id, rule.name, rule.selector, rule.labels)


def evaluation_key(rule: AlertRule) -> tuple:
    """What a rule computes: everything but ``STATE_KEEPING_FIELDS``. An edit that
    changes it but not ``alerts_key`` (a threshold, window, aggregation, detector) keeps
    the alerts and re-tunes the windows and detectors."""
    return (type(rule).__name__, *(
        (f.name, getattr(rule, f.name)) for f in fields(rule) if f.name not in STATE_KEEPING_FIELDS))


# -- annotation templates ---------------------------------------------------------------


def render_template(text: str, labels: LabelSet, value: float, name: str = "") -> str:
    """Expand an annotation as Prometheus expands alert templates (Go template text
    with ``$labels``, ``$value`` and Prometheus' functions; domain/alerts/templates.py).

    Annotations are written by tenants and rendered on the server: the template
    language evaluates nothing but its own functions over the alert's data, bounds its
    output and its loops, and a template that fails renders as the error, not as a
    failed evaluation.
    """
    return expand(text, f"__alert_{name}", labels.as_dict(), value)


def render_annotations(rule: RuleBase, labels: LabelSet, value: float) -> dict[str, str]:
    """The rule's annotations rendered for one alert (``labels`` are the alert's labels)."""
    return {key: render_template(text, labels, value, rule.name) for key, text in rule.annotations}


__all__ = [
    "ALERTNAME",
    "AbsenceRule",
    "AlertRule",
    "AnomalyRule",
    "Comparison",
    "DEFAULT_GROUP",
    "alerts_key",
    "RESOURCE_FIELDS",
    "RuleBase",
    "RuleResult",
    "ThresholdRule",
    "evaluation_key",
    "format_value",
    "render_annotations",
    "render_template",
]
