"""What the evaluator remembers per (rule, series), how it is bounded, and its checkpoint.

Why a module apart from ``services/evaluator.py``: the evaluator decides *when* state is
loaded, saved and evicted; this module says *what* that state is and how it travels,
so the checkpoint format can be read (and versioned) in one place.

Bounds per watch (docs/adr/0007-evaluator-state.md):

* a threshold rule's window holds the samples of its ``window`` and at most
  ``max_window_samples`` of them (the newest);
* an anomaly rule's detector is O(1) in the series' length (a fixed number of floats:
  ``domain/anomaly``), some 4 to 30 KB as JSON depending on the detector;
* plus the alert and a few integers.

Checkpoint (a JSON object, ``ports.state``)::

    {"v": 1, "last": <newest sample applied, ms>,
     "w": {"t0": <first ts>, "dt": [<ts deltas>], "v": "<base64 of float64 LE>"} | null,
     "det": "<detector name>" | null, "d": <detector.state()> | null,
     "a": {"s": <state>, "at": [<active>, <fired>, <resolved>], "eval": <ms>, "kfs": <ms>, "value": <float>}}

The alert itself lives in the repository, but it is saved only on transitions; ``"a"``
carries what changes between them (the latest value, the last evaluation, when
``keep_firing_for`` started), so a resumed alert reports what an uninterrupted one would.

Timestamps are delta-encoded and values packed (bit-exact, NaN included), so a window
of 10,000 samples is some 60 KB rather than a list of pairs three times that size.
"""

from __future__ import annotations

import base64
import logging
import struct
from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.alerts.rules import AbsenceRule, AnomalyRule, RuleResult, ThresholdRule, render_annotations
from domain.alerts.state import Alert, AlertTransition
from domain.anomaly.registry import make_detector, restore
from domain.metrics.samples import Sample
from services.window_aggregate import WindowAggregate

log = logging.getLogger(__name__)

CHECKPOINT_VERSION = 1
WatchKey = tuple[str, int]  # (rule id, series id)


@dataclass(eq=False, slots=True)
class Watch:
    """One (rule, series): its alert, and the window (threshold) or detector (anomaly)."""

    alert: Alert
    window: deque[Sample] = field(default_factory=deque)
    detector: Any = None  # a detector from domain.anomaly.registry: update(ts, value) -> score
    agg: WindowAggregate | None = None  # the window's running aggregate (rebuilt from the window)
    last_ms: int | None = None  # newest sample applied; an older or equal one is a replay
    dirty: bool = False  # changed since the last checkpoint
    touched_ms: int = 0  # clock time of the last sample: idle watches are evicted

    def apply(self, rule: ThresholdRule | AnomalyRule, sample: Sample, max_window: int):
        """Feed one sample; the rule's result, or None for a replayed (or unusable) one."""
        ts = sample.timestamp_ms
        if self.last_ms is not None and ts <= self.last_ms:
            return None
        self.last_ms = ts
        self.dirty = True
        if isinstance(rule, ThresholdRule):
            w, agg = self.window, self.agg
            if agg is None:
                agg = self.agg = WindowAggregate(rule.aggregation, rule.q)
                for s in w:
                    agg.add(s)
            w.append(sample)
            agg.add(sample)
            horizon = ts - rule.window_ms
            while w and (w[0].timestamp_ms <= horizon or len(w) > max_window):
                agg.remove(w.popleft())
            # = rule.evaluate(w), without walking the window (services/window_aggregate.py)
            value = agg.value(w)
            return RuleResult(rule.comparison.holds(value, rule.threshold), value)
        if self.detector is None:
            return None  # the detector could not be built (logged when the watch was made)
        return rule.evaluate(self.detector.update(ts, sample.value))


def retune(watch: Watch, before: ThresholdRule | AnomalyRule, after: ThresholdRule | AnomalyRule) -> None:
    """The rule's parameters changed but not its alerts (a threshold, window, aggregation
    or detector): the running aggregate is rebuilt from the window on the next sample,
    and another detector starts cold (a wrong baseline is worse than none)."""
    watch.agg = None
    watch.dirty = True
    if isinstance(after, AnomalyRule) and (not isinstance(before, AnomalyRule) or before.detector != after.detector):
        fresh = new_watch(after, watch.alert)
        watch.detector = fresh.detector
        watch.last_ms = None


def evaluate_sample(rule: ThresholdRule | AnomalyRule, watch: Watch, sample: Sample,
                    max_window: int) -> AlertTransition | None:
    """One sample through one (rule, series): the window or detector, then the alert's
    state machine; the transition it caused, with the alert's annotations rendered.

    The one evaluation step: the streaming evaluator and the dry run
    (services/rule_dry_run.py) both call it, so a dry run answers what the evaluator did.
    """
    result = watch.apply(rule, sample, max_window)
    if result is None:
        return None
    tr = watch.alert.observe(result, sample.timestamp_ms, rule.for_ms, rule.keep_firing_for_ms)
    if tr is not None:
        watch.alert.annotations = tuple(sorted(render_annotations(rule, watch.alert.labels, watch.alert.value).items()))
    return tr


def evaluate_absence(rule: AbsenceRule, alert: Alert, last_seen_ms: int | None, now_ms: int,
                     since_ms: int) -> AlertTransition | None:
    """One tick of an absence rule: how long its series have been silent at ``now_ms``,
    then the alert's state machine (the evaluator's timer and the dry run both call it)."""
    tr = alert.observe(rule.evaluate(last_seen_ms, now_ms, since_ms=since_ms), now_ms, rule.for_ms,
                       rule.keep_firing_for_ms)
    if tr is not None:
        alert.annotations = tuple(sorted(render_annotations(rule, alert.labels, alert.value).items()))
    return tr


def new_watch(rule: ThresholdRule | AnomalyRule, alert: Alert) -> Watch:
    watch = Watch(alert)
    if isinstance(rule, AnomalyRule):
        try:
            watch.detector = make_detector(rule.detector)
        except Exception:
            log.exception("rule %s: cannot build detector %r; its series are not evaluated", rule.id, rule.detector)
    return watch


# -- checkpoint ---------------------------------------------------------------------------


def _pack_window(samples: Sequence[Sample]) -> dict[str, Any] | None:
    if not samples:
        return None
    ts = [s.timestamp_ms for s in samples]
    values = struct.pack(f"<{len(samples)}d", *(s.value for s in samples))
    return {"t0": ts[0], "dt": [b - a for a, b in zip(ts, ts[1:])], "v": base64.b64encode(values).decode()}


def _unpack_window(doc: dict[str, Any] | None) -> list[Sample]:
    if not doc:
        return []
    raw = base64.b64decode(doc["v"])
    values = struct.unpack(f"<{len(raw) // 8}d", raw)
    t = int(doc["t0"])
    ts = [t]
    for d in doc["dt"]:
        t += int(d)
        ts.append(t)
    if len(ts) != len(values):
        raise ValueError(f"window of {len(ts)} timestamps and {len(values)} values")
    return [Sample(a, b) for a, b in zip(ts, values)]


def encode_watch(rule: ThresholdRule | AnomalyRule, watch: Watch) -> dict[str, Any]:
    anomaly = isinstance(rule, AnomalyRule) and watch.detector is not None
    return {
        "v": CHECKPOINT_VERSION,
        "last": watch.last_ms,
        "w": _pack_window(watch.window) if isinstance(rule, ThresholdRule) else None,
        "det": rule.detector if anomaly else None,  # type: ignore[union-attr]
        "d": watch.detector.state() if anomaly else None,  # type: ignore[union-attr]
        "a": _alert_doc(watch.alert),
    }


def _alert_doc(a: Alert) -> dict[str, Any]:
    return {"s": a.state.value, "at": [a.active_at_ms, a.fired_at_ms, a.resolved_at_ms], "eval": a.last_eval_ms,
            "kfs": a.keep_firing_since_ms, "value": a.value}


def _resume_alert(a: Alert, snap: dict[str, Any] | None) -> None:
    """Bring the stored alert up to the checkpoint, if the checkpoint is of the same
    episode (same state and times) and not older. If the repository is newer (a
    transition after the checkpoint), the replay from the checkpoint brings it along."""
    if not snap or snap.get("s") != a.state.value or snap.get("at") != [a.active_at_ms, a.fired_at_ms, a.resolved_at_ms]:
        return
    times = [t for t in (a.last_eval_ms, a.active_at_ms, a.fired_at_ms, a.resolved_at_ms) if t is not None]
    if snap.get("eval") is None or (times and snap["eval"] < max(times)):
        return
    a.last_eval_ms = int(snap["eval"])
    a.keep_firing_since_ms = None if snap.get("kfs") is None else int(snap["kfs"])
    a.value = float(snap["value"])


def restore_watch(rule: ThresholdRule | AnomalyRule, watch: Watch, doc: dict[str, Any], max_window: int) -> bool:
    """Put a checkpoint into a fresh watch. False (and the watch left fresh) if the
    checkpoint does not fit the rule any more (another detector, an unknown format):
    a cold start is better than a wrong baseline."""
    try:
        if doc.get("v") != CHECKPOINT_VERSION:
            raise ValueError(f"checkpoint format {doc.get('v')!r}")
        last = doc.get("last")
        window: list[Sample] = []
        detector = None
        if isinstance(rule, ThresholdRule):
            window = _unpack_window(doc.get("w"))
            if window:
                horizon = window[-1].timestamp_ms - rule.window_ms
                window = [s for s in window if s.timestamp_ms > horizon][-max_window:]
        elif doc.get("det") == rule.detector and doc.get("d") is not None:
            detector = restore(doc["d"])
        elif doc.get("d") is not None or last is not None:
            raise ValueError(f"checkpoint of detector {doc.get('det')!r}, the rule uses {rule.detector!r}")
    except Exception as exc:
        log.warning("rule %s: checkpoint ignored (%s); this series starts cold", rule.id, exc)
        return False
    watch.window = deque(window)
    watch.agg = None
    if detector is not None:
        watch.detector = detector
    watch.last_ms = None if last is None else int(last)
    _resume_alert(watch.alert, doc.get("a"))
    return True


# -- the table of watches -----------------------------------------------------------------


class WatchTable:
    """Watches in least-recently-used order, so eviction finds its victims at the front
    without scanning every watch."""

    def __init__(self) -> None:
        self._items: OrderedDict[WatchKey, Watch] = OrderedDict()
        self._dirty: set[WatchKey] = set()  # so a checkpoint does not scan every watch

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def get(self, key: WatchKey) -> Watch | None:
        return self._items.get(key)

    def put(self, key: WatchKey, watch: Watch) -> None:
        self._items[key] = watch

    def touch(self, key: WatchKey, now_ms: int) -> Watch:
        watch = self._items[key]
        self._items.move_to_end(key)
        watch.touched_ms = now_ms
        return watch

    def items(self) -> Iterable[tuple[WatchKey, Watch]]:
        return self._items.items()

    def mark(self, key: WatchKey) -> None:
        """The watch changed: the next checkpoint saves it."""
        self._dirty.add(key)

    def dirty(self) -> list[tuple[WatchKey, Watch]]:
        return [(k, w) for k in self._dirty if (w := self._items.get(k)) is not None and w.dirty]

    def cleaned(self, watches: Iterable[tuple[WatchKey, Watch]]) -> None:
        for key, watch in watches:
            watch.dirty = False
            self._dirty.discard(key)

    def oldest(self, *, idle_before_ms: int | None = None, beyond: int | None = None) -> list[tuple[WatchKey, Watch]]:
        """From the least recently used: those idle since before ``idle_before_ms``, or
        those over a count of ``beyond``."""
        out = []
        excess = len(self._items) - beyond if beyond is not None else 0
        for key, watch in self._items.items():
            if len(out) < excess or (idle_before_ms is not None and watch.touched_ms < idle_before_ms):
                out.append((key, watch))
            else:
                break
        return out

    def pop(self, key: WatchKey) -> Watch | None:
        self._dirty.discard(key)
        return self._items.pop(key, None)

    def rule_ids(self) -> set[str]:
        return {k[0] for k in self._items}

    def clear(self) -> None:
        self._items.clear()
        self._dirty.clear()


@dataclass(slots=True)
class LastSeen:
    """When an absence rule last saw one of its series on one bus partition.

    Kept per partition because each evaluator member sees only its own partitions: the
    timer takes the newest over all partitions, its own from memory and the others'
    from their owners' checkpoints."""

    last_ms: int | None = None
    mine: bool = False  # fed by this member's samples (not only read from a checkpoint)
    dirty: bool = False

    def saw(self, ts: int) -> None:
        self.mine = True
        if self.last_ms is None or ts > self.last_ms:
            self.last_ms = ts
            self.dirty = True


def absence_slot(partition: int) -> int:
    return -1 - partition
