"""The dry run of an alert rule: would it have fired over the stored samples of the last
24 hours (or another range), and when?

The stored samples of the series the rule's selector matches are replayed, in time
order, through the very step the streaming evaluator takes for each sample
(``evaluate_sample``: the window or detector, then the alert's state machine) and, for
absence rules, through its timer's step (``evaluate_absence``) at the evaluator's tick
interval. So the transitions it answers are those the evaluator would have published,
had the rule existed over that range. Threshold rules are warmed up with the window's
worth of samples before the range, as a rule that had been running would be.

Bounded (DESIGN.md §7): the series and the samples are counted from the store's
bookkeeping before anything is read, and refused over ``max_series``/``max_samples``
with the limit named; the replay runs in a worker thread (off the event loop) and stops
with the limit named once it has taken ``max_seconds``. At most ``max_transitions``
transitions are listed (the summary counts them all).
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from domain.alerts.rules import AbsenceRule, ThresholdRule
from domain.alerts.state import Alert, AlertState, AlertTransition
from domain.errors import LimitExceeded, ValidationError
from domain.metrics.samples import Sample
from ports.clock import Clock
from ports.repositories import AlertRule
from ports.samples import SampleStore, SeriesArrays
from services.evaluator_state import evaluate_absence, evaluate_sample, new_watch

DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class DryRunLimits:
    max_range_ms: int = 7 * DAY_MS
    max_series: int = 1_000
    max_samples: int = 2_000_000
    max_seconds: float = 30.0
    max_transitions: int = 1_000
    max_window_samples: int = 10_000  # as the evaluator's (evaluator_max_window_samples)
    absence_tick_ms: int = 1_000  # as the evaluator's timer


@dataclass(frozen=True, slots=True)
class DryRunSummary:
    series: int  # series the selector matched in the range
    samples: int  # samples replayed (warm-up included)
    transitions: int
    fired: int  # transitions to firing
    alerts_fired: int  # distinct alerts that fired at least once
    firing_at_end: int
    first_fired_at_ms: int | None
    firing_ms: int  # time spent firing within the range, summed over the alerts

    @property
    def would_have_fired(self) -> bool:
        return self.fired > 0


@dataclass(frozen=True, slots=True)
class DryRunResult:
    start_ms: int
    end_ms: int
    transitions: tuple[AlertTransition, ...]
    truncated: bool  # more transitions happened than are listed
    summary: DryRunSummary
    elapsed_ms: float = field(default=0.0, compare=False)


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._until = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self._until:
            raise LimitExceeded(f"the dry run took longer than {self._seconds:g} s; try a shorter range or a narrower "
                                "selector", field="range", limit="rule_dry_run_max_seconds", value=int(self._seconds))


class _Episodes:
    """Counts what the transitions amount to while they are collected."""

    def __init__(self, start_ms: int, max_listed: int) -> None:
        self._start = start_ms
        self._max = max_listed
        self.listed: list[AlertTransition] = []
        self.total = self.fired = 0
        self.first_fired: int | None = None
        self.firing_since: dict[str, int] = {}
        self.ever_fired: set[str] = set()
        self.firing_ms = 0

    def add(self, tr: AlertTransition) -> None:
        if tr.at_ms < self._start:  # warm-up: it only sets the state the range starts in
            if tr.to_state is AlertState.FIRING:
                self.firing_since[tr.fingerprint] = self._start
            else:
                self.firing_since.pop(tr.fingerprint, None)
            return
        self.total += 1
        if len(self.listed) < self._max:
            self.listed.append(tr)
        if tr.to_state is AlertState.FIRING:
            self.fired += 1
            self.ever_fired.add(tr.fingerprint)
            self.first_fired = tr.at_ms if self.first_fired is None else min(self.first_fired, tr.at_ms)
            self.firing_since[tr.fingerprint] = tr.at_ms
        elif tr.fingerprint in self.firing_since:
            self.firing_ms += tr.at_ms - self.firing_since.pop(tr.fingerprint)

    def summary(self, series: int, samples: int, end_ms: int) -> DryRunSummary:
        still = sum(end_ms - since for since in self.firing_since.values())
        return DryRunSummary(series, samples, self.total, self.fired, len(self.ever_fired), len(self.firing_since),
                             self.first_fired, self.firing_ms + still)


def replay_samples(rule: AlertRule, arrays: Sequence[SeriesArrays], start_ms: int, end_ms: int,
                   limits: DryRunLimits = DryRunLimits()) -> tuple[list[AlertTransition], _Episodes, int]:
    """The transitions ``rule`` makes over ``arrays`` (synchronous: run it off the loop).
    Returns every transition in time order, what they amount to, and the samples replayed."""
    deadline = _Deadline(limits.max_seconds)
    episodes = _Episodes(start_ms, limits.max_transitions)
    out: list[AlertTransition] = []
    replayed = 0
    if isinstance(rule, AbsenceRule):
        replayed = _replay_absence(rule, arrays, start_ms, end_ms, limits, deadline, out)
    else:
        for series in arrays:
            watch = new_watch(rule, Alert.for_rule(rule, series.key.labels))
            stamps, values = series.timestamps.tolist(), series.values.tolist()
            for i, (ts, value) in enumerate(zip(stamps, values)):
                if ts > end_ms:
                    break
                tr = evaluate_sample(rule, watch, Sample(ts, value), limits.max_window_samples)
                if tr is not None:
                    out.append(tr)
                if i % 4096 == 0:  # the first sample of every series too: a slow start is caught early
                    deadline.check()
            replayed += len(stamps)
        out.sort(key=lambda tr: (tr.at_ms, tr.fingerprint))
    for tr in out:
        episodes.add(tr)
    return out, episodes, replayed


def _replay_absence(rule: AbsenceRule, arrays: Sequence[SeriesArrays], start_ms: int, end_ms: int,
                    limits: DryRunLimits, deadline: _Deadline, out: list[AlertTransition]) -> int:
    """Ticks every ``absence_tick_ms`` from ``start_ms``, as the evaluator's timer, each
    seeing the newest sample at or before it; watching began at ``start_ms``."""
    alert = Alert.for_rule(rule, rule.absent_labels())
    stamps = list(heapq.merge(*(a.timestamps.tolist() for a in arrays)))
    last_seen: int | None = None
    i = 0
    for n, now in enumerate(range(start_ms, end_ms + 1, limits.absence_tick_ms)):
        while i < len(stamps) and stamps[i] <= now:
            last_seen = stamps[i]  # ascending: the newest so far
            i += 1
        tr = evaluate_absence(rule, alert, last_seen, now, start_ms)
        if tr is not None:
            out.append(tr)
        if n % 8192 == 0:
            deadline.check()
    return len(stamps)


class RuleDryRun:
    def __init__(self, store: SampleStore, clock: Clock, limits: DryRunLimits = DryRunLimits()) -> None:
        self._store = store
        self._clock = clock
        self.limits = limits

    async def run(self, rule: AlertRule, range_ms: int = DAY_MS) -> DryRunResult:
        if range_ms <= 0:
            raise ValidationError("range must be longer than 0", field="range")
        if range_ms > self.limits.max_range_ms:
            raise LimitExceeded(f"range is at most {self.limits.max_range_ms // 1000} s", field="range",
                                limit="rule_dry_run_max_range_s", value=self.limits.max_range_ms // 1000)
        end = self._clock.now_ms()
        start = end - range_ms
        warm_up = rule.window_ms if isinstance(rule, ThresholdRule) else 0
        began = time.monotonic()
        matched = await self._store.match_series(rule.tenant, rule.selector, start - warm_up, end)
        if len(matched) > self.limits.max_series:
            raise LimitExceeded(f"the selector matches {len(matched)} series in the range, over the dry run's limit "
                                f"of {self.limits.max_series}; narrow it", field="selector",
                                limit="rule_dry_run_max_series", value=self.limits.max_series)
        counted = sum(m.samples for m in matched)
        if counted > self.limits.max_samples:
            raise LimitExceeded(f"the range holds about {counted} samples of the matched series, over the dry run's "
                                f"limit of {self.limits.max_samples}; try a shorter range", field="range",
                                limit="rule_dry_run_max_samples", value=self.limits.max_samples)
        arrays = await self._store.read_arrays(rule.tenant, [m.key for m in matched], start - warm_up, end)
        transitions, episodes, replayed = await asyncio.to_thread(
            replay_samples, rule, arrays, start, end, self.limits)
        summary = episodes.summary(len(matched), replayed, end)
        return DryRunResult(start, end, tuple(episodes.listed), episodes.total > len(episodes.listed), summary,
                            elapsed_ms=(time.monotonic() - began) * 1000)

