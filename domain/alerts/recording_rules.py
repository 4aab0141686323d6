"""A recording rule's output, as Prometheus' ``RecordingRule.Eval`` builds it: each
result series renamed to the rule's name, the rule's labels set over its own (an
empty value removes the label); two series ending with one label set, or more series
than the group's limit, make the evaluation fail."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.alerts.alerting_rules import METRIC_NAME, LabelPairs, RuleEvaluationError
from domain.alerts.rule_groups import RecordingRule


def recorded_series(rule: RecordingRule, result: Sequence[tuple[Mapping[str, str], float]], *,
                    limit: int = 0) -> list[tuple[LabelPairs, float]]:
    """The series (labels without ``__name__``, value) the rule writes."""
    out: dict[LabelPairs, float] = {}
    for labels, value in result:
        merged = {k: v for k, v in labels.items() if k != METRIC_NAME}
        for name, text in rule.labels:
            if text:
                merged[name] = text
            else:
                merged.pop(name, None)
        key = tuple(sorted(merged.items()))
        if key in out:
            raise RuleEvaluationError("vector contains metrics with the same labelset after applying rule labels")
        out[key] = value
    if limit > 0 and len(out) > limit:
        raise RuleEvaluationError(f"exceeded limit {limit} with {len(out)} series")
    return list(out.items())
