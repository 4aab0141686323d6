"""Label sets as PromQL handles them: sorted ``(name, value)`` pairs, the metric name
included as ``__name__``; an empty value means the label is absent.

Plain tuples rather than ``LabelSet``: evaluation creates and compares many of them,
and they need no validation (every name here came from stored series, the parser or a
function that validated it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from domain.metrics.labels import LabelSet
from domain.metrics.matchers import METRIC_NAME_LABEL, MatchOp, Matcher

Labels = tuple[tuple[str, str], ...]
BUCKET_LABEL = "le"


def series_labels(name: str, labels: LabelSet) -> Labels:
    """A stored series' labels with its name as ``__name__`` (sorted by name)."""
    return tuple(sorted(((METRIC_NAME_LABEL, name), *labels.pairs)))


def get(labels: Labels, name: str) -> str:
    for n, v in labels:
        if n == name:
            return v
    return ""


def drop_name(labels: Labels) -> Labels:
    return tuple(p for p in labels if p[0] != METRIC_NAME_LABEL)


def keep(labels: Labels, names: Iterable[str]) -> Labels:
    wanted = set(names)
    return tuple(p for p in labels if p[0] in wanted)


def delete(labels: Labels, names: Iterable[str]) -> Labels:
    unwanted = set(names)
    return tuple(p for p in labels if p[0] not in unwanted)


def set_label(labels: Labels, name: str, value: str) -> Labels:
    """``labels`` with ``name`` set to ``value`` (removed if ``value`` is empty)."""
    rest = [p for p in labels if p[0] != name]
    if value:
        rest.append((name, value))
        rest.sort()
    return tuple(rest)


def match_signature(labels: Labels, on: bool, names: Sequence[str]) -> Labels:
    """What two vector elements must share to match: the ``on`` labels, or every label
    but the ``ignoring`` ones and the metric name (Prometheus' ``signatureFunc``)."""
    if on:
        return keep(labels, names)
    unwanted = {METRIC_NAME_LABEL, *names}
    return tuple(p for p in labels if p[0] not in unwanted)


def grouping_key(labels: Labels, grouping: Sequence[str], without: bool) -> Labels:
    """The group an element falls in for an aggregation (``by`` keeps the listed labels,
    ``without`` drops them and the metric name), which is also the group's labels."""
    if without:
        return delete(labels, (METRIC_NAME_LABEL, *grouping))
    return keep(labels, grouping)


def absent_labels(matchers: Sequence[Matcher]) -> Labels:
    """The labels ``absent()`` gives its series: those an equality matcher pins, except
    a label that is also constrained some other way (``createLabelsForAbsentFunction``)."""
    pinned: dict[str, str] = {}
    dropped: list[str] = []
    for m in matchers:
        if m.name == METRIC_NAME_LABEL:
            continue
        if m.op is MatchOp.EQ and m.name not in pinned:
            pinned[m.name] = m.value
        else:
            dropped.append(m.name)
    for name in dropped:
        pinned.pop(name, None)
    return tuple(sorted((n, v) for n, v in pinned.items() if v))


def render(labels: Labels) -> str:
    """Prometheus' text form, ``{a="1", b="2"}``, for error messages."""
    return "{" + ", ".join(f'{n}="{v}"' for n, v in labels) + "}"
