"""The query model: which series (``Selector``), over which time grid and with which
functions (``RangeQuery``), and its evaluation over samples already fetched.

Storage adapters fetch the samples of the selected series for
``[start - window, end]``; this module turns them into one point per step
(``evaluate_range``) and merges series into groups (``group_series``). Keeping the
evaluation here means every store, the SQLite default and PostgreSQL alike, answers a
query the same way.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from domain.errors import LimitExceeded, ValidationError
from domain.metrics.aggregations import (
    COUNTER_AGGREGATIONS,
    Aggregation,
    aggregate,
    coerce_aggregation,
    combine,
)
from domain.metrics.labels import LABEL_NAME_RE, LabelSet, validate_metric_name
from domain.metrics.matchers import METRIC_NAME_LABEL, MatchOp, Matcher
from domain.metrics.samples import Sample
from domain.metrics.syntax import METRIC_NAME_TOKEN, Scanner, quote

DEFAULT_LOOKBACK_MS = 5 * 60 * 1000


@dataclass(frozen=True)
class Selector:
    """A metric name and label matchers, as in PromQL's ``name{label="v", ...}``.

    Normal form (applied on construction, so equal meaning mostly means equal
    objects): without an explicit ``metric``, the first ``__name__="valid_name"``
    matcher becomes ``metric``; ``__name__`` matchers that remain (``!=``, regexes, a
    second ``=``) are tested against the series name. ``Selector(None)`` selects every
    series; that is for internal callers only: ``parse`` refuses text that would match
    everything, as PromQL does, because user text should never trigger a full scan.
    """

    metric: str | None
    matchers: tuple[Matcher, ...] = ()

    def __post_init__(self) -> None:
        if self.metric is not None:
            validate_metric_name(self.metric, field="metric")
        matchers = tuple(self.matchers)
        for m in matchers:
            if not isinstance(m, Matcher):
                raise ValidationError(f"expected a Matcher, got {type(m).__name__}", field="matchers")
        if self.metric is None:
            for i, m in enumerate(matchers):
                if m.name == METRIC_NAME_LABEL and m.op is MatchOp.EQ and _valid_metric_name(m.value):
                    object.__setattr__(self, "metric", m.value)
                    matchers = matchers[:i] + matchers[i + 1 :]
                    break
        object.__setattr__(self, "matchers", matchers)

    @classmethod
    def parse(cls, text: str) -> "Selector":
        """Read ``cpu_usage{host="a", mode=~"u.*"}``, ``cpu_usage`` or ``{__name__="x"}``.

        Errors are ValidationError on field ``selector`` naming the position. A metric
        name both before the braces and in a ``__name__`` matcher is refused, as is a
        selector that would match every series (no name, and every matcher matches the
        empty string).
        """
        sc = Scanner(text, field="selector")
        sc.skip_ws()
        name_pos = sc.pos
        metric = sc.token(METRIC_NAME_TOKEN)
        sc.skip_ws()
        raw = []
        if sc.accept("{"):
            raw = sc.matcher_list(closing="}")
            sc.skip_ws()
        elif metric is None:
            raise sc.error("expected a metric name or '{'")
        if not sc.at_end():
            raise sc.error("unexpected text after the selector")
        matchers: list[Matcher] = []
        for item in raw:
            if metric is not None and item.name == METRIC_NAME_LABEL:
                raise sc.error(f"metric name given twice ({metric!r} and a __name__ matcher)", item.pos)
            try:
                matchers.append(Matcher.of(item.name, item.op, item.value))
            except ValidationError as exc:
                raise _at(exc, sc, item.pos) from None
        try:
            selector = cls(metric, tuple(matchers))
        except ValidationError as exc:
            raise _at(exc, sc, name_pos) from None
        if selector.metric is None and all(m.matches_value("") for m in selector.matchers):
            raise sc.error(
                "a selector needs a metric name or a matcher that does not match the empty string", 0
            )
        return selector

    def matches(self, name: str, labels: LabelSet) -> bool:
        """Whether the series ``name{labels}`` is selected."""
        if self.metric is not None and name != self.metric:
            return False
        for m in self.matchers:
            value = name if m.name == METRIC_NAME_LABEL else labels.get(m.name)
            if not m.matches_value(value):
                return False
        return True

    def __str__(self) -> str:
        """PromQL text that ``parse`` reads back into an equal Selector."""
        if self.metric is not None and any(m.name == METRIC_NAME_LABEL for m in self.matchers):
            # "name{__name__!~...}" is refused by parse; say it all inside the braces.
            items = [f"{METRIC_NAME_LABEL}={quote(self.metric)}", *map(str, self.matchers)]
            return "{" + ", ".join(items) + "}"
        inner = ", ".join(map(str, self.matchers))
        if self.metric is None:
            return "{" + inner + "}"
        return f"{self.metric}{{{inner}}}" if inner else self.metric


def _valid_metric_name(value: str) -> bool:
    try:
        validate_metric_name(value)
    except ValidationError:
        return False
    return True


def _at(exc: ValidationError, sc: Scanner, pos: int) -> ValidationError:
    """``exc`` moved to the scanner's field, with the position in its message."""
    located = sc.error(exc.message, pos)
    if isinstance(exc, LimitExceeded):
        return LimitExceeded(located.message, field=located.field, limit=exc.limit, value=exc.value)
    return located


def _require_int(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{field} must be an integer number of milliseconds", field=field)
    return value


@dataclass(frozen=True)
class RangeQuery:
    """A selector evaluated at ``start_ms, start_ms + step_ms, ... <= end_ms``.

    At each step t, ``function`` is applied to each series' samples with
    ``t - window < timestamp <= t``. The default window of LAST is Prometheus'
    look-back (the step, but at least 5 minutes), so a sparse gauge still shows its
    latest value; the other functions default to the step, so consecutive windows
    tile the range without gaps or overlap. ``group_by`` then merges series: None
    keeps every series, ``()`` merges all into one, names merge series sharing those
    labels, with ``group_aggregation`` at each timestamp. One ``q`` serves QUANTILE
    in either role.
    """

    selector: Selector
    start_ms: int
    end_ms: int
    step_ms: int
    function: Aggregation = Aggregation.LAST
    window_ms: int | None = None
    q: float | None = None
    group_by: tuple[str, ...] | None = None
    group_aggregation: Aggregation = Aggregation.SUM

    MAX_POINTS: ClassVar[int] = 11_000

    def __post_init__(self) -> None:
        if not isinstance(self.selector, Selector):
            raise ValidationError("selector must be a Selector", field="selector")
        start = _require_int(self.start_ms, "start")
        end = _require_int(self.end_ms, "end")
        step = _require_int(self.step_ms, "step")
        if end < start:
            raise ValidationError(f"end ({end}) is before start ({start})", field="end")
        if step <= 0:
            raise ValidationError(f"step must be positive, got {step}", field="step")
        points = (end - start) // step + 1
        if points > self.MAX_POINTS:
            raise LimitExceeded(
                f"the query asks for {points} points per series, over the limit of "
                f"{self.MAX_POINTS}; use a larger step or a shorter range",
                field="step",
                limit="max_points",
                value=self.MAX_POINTS,
            )
        if self.window_ms is not None and _require_int(self.window_ms, "window") <= 0:
            raise ValidationError(f"window must be positive, got {self.window_ms}", field="window")
        function = coerce_aggregation(self.function, field="function")
        group_aggregation = coerce_aggregation(self.group_aggregation, field="group_aggregation")
        object.__setattr__(self, "function", function)
        object.__setattr__(self, "group_aggregation", group_aggregation)
        if group_aggregation in COUNTER_AGGREGATIONS:
            raise ValidationError(
                f"{group_aggregation.value} is a per-series function; it cannot merge series",
                field="group_aggregation",
            )
        self._check_q(function, group_aggregation)
        self._normalize_group_by()

    def _check_q(self, function: Aggregation, group_aggregation: Aggregation) -> None:
        needs_q = function is Aggregation.QUANTILE or (
            self.group_by is not None and group_aggregation is Aggregation.QUANTILE
        )
        if self.q is None:
            if needs_q:
                raise ValidationError("the quantile aggregation needs q (0 <= q <= 1)", field="q")
            return
        if isinstance(self.q, bool) or not isinstance(self.q, (int, float)):
            raise ValidationError("q must be a number", field="q")
        object.__setattr__(self, "q", float(self.q))

    def _normalize_group_by(self) -> None:
        if self.group_by is None:
            return
        if isinstance(self.group_by, str):
            raise ValidationError("group_by must be a list of label names", field="group_by")
        names: list[str] = []
        for name in self.group_by:
            if not isinstance(name, str) or not LABEL_NAME_RE.fullmatch(name):
                raise ValidationError(f"invalid label name {name!r} in group_by", field="group_by")
            if name not in names:
                names.append(name)
        object.__setattr__(self, "group_by", tuple(names))

    def steps(self) -> range:
        """The evaluation timestamps, ``start_ms`` first, never past ``end_ms``."""
        return range(self.start_ms, self.end_ms + 1, self.step_ms)

    @property
    def effective_window_ms(self) -> int:
        if self.window_ms is not None:
            return self.window_ms
        if self.function is Aggregation.LAST:
            return max(self.step_ms, DEFAULT_LOOKBACK_MS)
        return self.step_ms


def evaluate_range(query: RangeQuery, samples: Sequence[Sample]) -> list[Sample]:
    """One series' points: ``query.function`` over each step's window.

    A step whose window holds too few samples for the function to mean anything (none;
    fewer than two for RATE and INCREASE; RATE over a zero time span) is omitted, as
    PromQL omits it, rather than reported as NaN; a NaN that comes from the sample
    values themselves is kept. Samples should be sorted by timestamp (they are sorted
    here if not). Each step costs two binary searches plus its window, never a scan
    of the whole series.
    """
    data = list(samples)
    ts = [s.timestamp_ms for s in data]
    if any(b < a for a, b in zip(ts, ts[1:])):
        data.sort(key=lambda s: s.timestamp_ms)
        ts = [s.timestamp_ms for s in data]
    if not data:
        return []
    function, q = query.function, query.q
    window = query.effective_window_ms
    need = 2 if function in COUNTER_AGGREGATIONS else 1
    out: list[Sample] = []
    hi = 0
    for t in query.steps():
        hi = bisect.bisect_right(ts, t, hi)
        lo = bisect.bisect_right(ts, t - window, 0, hi)
        n = hi - lo
        if n < need:
            continue
        if function is Aggregation.LAST:
            value = float(data[hi - 1].value)
        elif function is Aggregation.COUNT:
            value = float(n)
        elif function is Aggregation.RATE and ts[hi - 1] == ts[lo]:
            continue
        else:
            value = aggregate(function, data[lo:hi], q=q)
        out.append(Sample(t, value))
    return out


def group_series(
    query: RangeQuery, series: Iterable[tuple[LabelSet, Sequence[Sample]]]
) -> list[tuple[LabelSet, list[Sample]]]:
    """Merge evaluated series by ``query.group_by`` with ``query.group_aggregation``.

    ``group_by=None``: the input, unchanged (each sample sequence as a list). Otherwise
    each series goes to the group of its labels restricted to ``group_by``; at each
    timestamp any series of the group has, the values present are combined (LAST takes
    the one of the series given last). Groups come out sorted by their labels.
    """
    if query.group_by is None:
        return [(labels, list(samples)) for labels, samples in series]
    groups: dict[LabelSet, dict[int, list[float]]] = {}
    for labels, samples in series:
        at = groups.setdefault(labels.only(query.group_by), {})
        for s in samples:
            at.setdefault(s.timestamp_ms, []).append(s.value)
    out: list[tuple[LabelSet, list[Sample]]] = []
    for key in sorted(groups, key=lambda labels: labels.pairs):
        at = groups[key]
        points = [Sample(t, combine(query.group_aggregation, at[t], q=query.q)) for t in sorted(at)]
        out.append((key, points))
    return out


__all__ = [
    "DEFAULT_LOOKBACK_MS",
    "RangeQuery",
    "Selector",
    "evaluate_range",
    "group_series",
]
