"""Pattern novelty: a kNN-conformal memory of recent shapes, a range check, and their
combination with the seasonal detector (``NoveltyDetector``, registered as "novelty").

Three ideas from the streaming-anomaly literature, each kept to O(1) state:

* **kNN conformal anomaly detection on lagged windows** (Burnaev & Ishimtsev 2016,
  "Conformalized density- and distance-based anomaly detection in time-series data";
  in NAB as "KNN CAD"). The point's context is the vector of its last ``window``
  values; its nonconformity is the distance to the nearest stored context, and the
  conformal p-value is the share of past nonconformities at least as large. Here the
  training set is bounded: the ``recent`` most recent contexts (a ring, not overlapping
  the current one) plus ``keep`` contexts that were novel when seen, evicted least
  recently matched first. That second memory is the idea of an adaptive-resonance
  codebook (ARTime; Carpenter & Grossberg's ART): a shape that was once new stays
  remembered for long, so a daily spike or a periodic burst is novel once, not daily.
* **Range novelty** (the "spatial anomaly" check of Numenta's NAB detector, Ahmad et
  al. 2017): a value beyond everything seen by more than ``tolerance`` of the seen
  range is an anomaly whatever its context. Records are rare in a stationary series
  (about ``ln n`` in ``n`` points), so this check has few false alarms.
* **Agreement**: the seasonal detector's calibrated surprise counts only as far as the
  pattern memory agrees the moment is new (``min(seasonal, agreement * novelty)``). A
  seasonal outlier whose shape has been seen before (a periodic spike off the daily
  grid, a recurring burst) is vetoed; a new shape that is also a seasonal outlier is not.
  This is what moved the NAB score most after the range check: most of the seasonal
  detector's false alarms are shapes the series has shown before.

* **Two time scales** (ARTime and HTM both look at a smoothed view of the input): a
  second pattern memory sees the means of ``coarse`` consecutive points, so a change
  of shape too slow for an 8-point context (a new oscillation, a slow collapse) is new
  to it.
* **Persistence**: a seasonal surprise that holds for ``persistence`` consecutive
  points counts without the pattern memory's agreement. A daily peak that does not
  come is made of familiar shapes (the flat night goes on), so the veto above would
  hide it; a single outlier of a familiar shape is still vetoed.
* **Recent rarity** (the idea of HTM's anomaly likelihood, Ahmad et al. 2017): the
  combined evidence ``E`` is compared with its own history over the last
  ``rarity_horizon`` points (a ``ConformalTail``, ``R`` decades) and the point's
  evidence is ``sqrt(E * R)``: strong *and* unusual for this series lately. A series
  whose evidence runs high all the time (spiky CPU, quantised values) stops paging
  for the same kind of event; a quiet series' first modest event rises.

Evidence is in decades of improbability, as elsewhere in ``domain.anomaly``; the score
is ``E / (E + half_score)`` (0.5 at ``half_score`` decades; no saturation, so the
strongest events still rank above weaker ones), then a ``Refractory`` so that one event
alarms once. Numbers are streaming and causal: each point is scored from the state
left by the points before it, then learned.
"""

from __future__ import annotations

import math
from collections import deque
from itertools import repeat
from typing import Any

from domain.anomaly.detectors import MAX_MAGNITUDE, SeasonalDetector
from domain.anomaly.stats import Refractory


class ConformalTail:
    """``-log10`` of a conformal p-value of a nonnegative nonconformity, bounded memory.

    ``p = (weight of past values >= d + w_new) / (total weight + w_new)``: the standard
    conformal p-value (the new point counts itself), over an exponentially decayed
    histogram (``BINS`` bins, a quarter-octave wide, from ``2**-OFFSET``); effective
    memory ``horizon`` points. Beyond the largest recent value (``peak``, decaying over
    the horizon), ``p`` is multiplied by ``(peak / d) ** 2`` so that a distance far
    beyond anything seen outranks one just beyond it.
    """

    BINS = 120
    OFFSET = 25
    _RESCALE = 1e100

    __slots__ = ("gamma", "bins", "total", "weight", "peak")

    def __init__(self, horizon: float = 2000.0) -> None:
        self.gamma = 1.0 - 1.0 / horizon
        self.bins = [0.0] * self.BINS
        self.total = 0.0
        self.weight = 1.0
        self.peak = 0.0

    @classmethod
    def _bin(cls, d: float) -> int:
        if not d > 0.0:
            return 0
        return max(0, min(cls.BINS - 1, int(4.0 * (math.log2(min(d, 1e30)) + cls.OFFSET))))

    def __call__(self, d: float) -> float:
        """The surprise of ``d`` (decades, >= 0), then learn it."""
        if not d >= 0.0:  # NaN: no evidence, nothing learned
            return 0.0
        d = min(d, 1e30)
        b = self._bin(d)
        p = (math.fsum(self.bins[b:]) + self.weight) / (self.total + self.weight)
        if d > self.peak > 0.0:
            p *= (self.peak / d) ** 2
        self.peak = max(d, self.peak * self.gamma)
        self.bins[b] += self.weight
        self.total += self.weight
        self.weight /= self.gamma
        if self.weight > self._RESCALE:
            self.bins = [w / self.weight for w in self.bins]
            self.total /= self.weight
            self.weight = 1.0
        return max(0.0, -math.log10(p)) if p > 0.0 else 300.0

    def state(self) -> dict[str, Any]:
        return {"gamma": self.gamma, "bins": list(self.bins), "total": self.total,
                "weight": self.weight, "peak": self.peak}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ConformalTail:
        obj = cls()
        obj.gamma = float(state["gamma"])
        obj.bins = [float(w) for w in state["bins"]]
        obj.total, obj.weight, obj.peak = float(state["total"]), float(state["weight"]), float(state["peak"])
        return obj


class PatternMemory:
    """Novelty of the current shape: conformal kNN (k = 1) over a bounded memory.

    The context of point ``t`` is ``(x[t-window+1], ..., x[t])``. Its nonconformity is
    the Euclidean distance to the nearest stored context divided by the range of values
    seen so far (so the unit is "fraction of the series' span" and a level shift that
    widens the range does not make every old shape look near). Stored contexts:

    * ``recent``: the last ``recent`` contexts that do not overlap the current one
      (a ring buffer, so the memory of ordinary behaviour follows the series);
    * ``kept``: up to ``keep`` contexts that were novel when seen (surprise above
      ``keep_surprise`` decades); when full, the least recently *matched* one is
      replaced. A once-novel shape that recurs keeps being matched and so stays.

    Cost per point: ``recent + keep`` distances of ``window`` floats (``math.dist``).
    """

    def __init__(self, window: int = 8, recent: int = 300, keep: int = 300,
                 keep_surprise: float = 1.0, horizon: float = 2000.0) -> None:
        self.window = window
        self.keep = keep
        self.keep_surprise = keep_surprise
        self.values: deque[float] = deque(maxlen=2 * window)
        self.recent: deque[tuple[float, ...]] = deque(maxlen=recent)
        self.kept: list[tuple[float, ...]] = []
        self.used: list[int] = []
        self.tail = ConformalTail(horizon)
        self.lo: float | None = None
        self.hi: float | None = None
        self.n = 0

    def __call__(self, value: float) -> float:
        """The novelty (decades) of the context ending at ``value``, then learn it."""
        self.n += 1
        self.lo = value if self.lo is None or value < self.lo else self.lo
        self.hi = value if self.hi is None or value > self.hi else self.hi
        self.values.append(value)
        L = self.window
        if len(self.values) == 2 * L:
            # The context that ended L points ago no longer overlaps the current one.
            self.recent.append(tuple(self.values)[:L])
        if len(self.values) < L:
            return 0.0
        ctx = tuple(self.values)[-L:]
        span = self.hi - self.lo  # type: ignore[operator]
        if len(self.recent) < 10 or not span > 0.0:
            return 0.0
        dist = math.dist
        nearest = min(map(dist, repeat(ctx), self.recent))
        if self.kept:
            ds = list(map(dist, repeat(ctx), self.kept))
            best = min(ds)
            if best < nearest:
                self.used[ds.index(best)] = self.n
                nearest = best
        surprise = self.tail(nearest / span)
        if surprise > self.keep_surprise and self.keep > 0:
            if len(self.kept) < self.keep:
                self.kept.append(ctx)
                self.used.append(self.n)
            else:
                j = self.used.index(min(self.used))
                self.kept[j] = ctx
                self.used[j] = self.n
        return surprise

    def state(self) -> dict[str, Any]:
        """Fixed-shape JSON: the value history (the ring of recent contexts is rebuilt
        from it: consecutive contexts share all but one value) and the kept contexts,
        each padded to its capacity with a count of the entries in use."""
        L = self.window
        cap = self.recent.maxlen or 0
        history = list(self.values)
        if self.recent:
            # The oldest recent context, then one new value per later context.
            history = list(self.recent[0]) + [c[-1] for c in list(self.recent)[1:]] + history[L:]
        size = cap + 2 * L - 1
        pad = [[0.0] * L for _ in range(self.keep - len(self.kept))]
        return {
            "params": {"window": L, "recent": cap, "keep": self.keep, "keep_surprise": self.keep_surprise},
            "history": history + [0.0] * (size - len(history)), "history_count": len(history),
            "values_count": len(self.values),
            "kept": [list(c) for c in self.kept] + pad, "kept_count": len(self.kept),
            "used": list(self.used) + [0] * len(pad),
            "tail": self.tail.state(), "lo": self.lo, "hi": self.hi, "n": self.n,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PatternMemory:
        obj = cls(**state["params"])
        L = obj.window
        history = [float(v) for v in state["history"][: int(state["history_count"])]]
        n_values = int(state["values_count"])
        obj.values.extend(history[len(history) - n_values:])
        contexts = history[: len(history) - L] if n_values == 2 * L else []
        obj.recent.extend(tuple(contexts[i:i + L]) for i in range(len(contexts) - L + 1))
        k = int(state["kept_count"])
        obj.kept = [tuple(float(v) for v in c) for c in state["kept"][:k]]
        obj.used = [int(u) for u in state["used"][:k]]
        obj.tail = ConformalTail.from_state(state["tail"])
        obj.lo = None if state["lo"] is None else float(state["lo"])
        obj.hi = None if state["hi"] is None else float(state["hi"])
        obj.n = int(state["n"])
        return obj


class RangeNovelty:
    """Evidence (decades) that a value lies beyond every value seen before.

    Beyond ``[lo - tolerance * span, hi + tolerance * span]`` (``span = hi - lo``) the
    evidence is ``base + slope * excess / span``; inside it, 0. ``lo``/``hi`` are learned
    from the first point on; evidence is given only after ``warmup`` points.
    """

    __slots__ = ("tolerance", "base", "slope", "warmup", "lo", "hi", "n")

    def __init__(self, tolerance: float = 0.05, base: float = 10.0, slope: float = 10.0, warmup: int = 50) -> None:
        self.tolerance = tolerance
        self.base = base
        self.slope = slope
        self.warmup = warmup
        self.lo: float | None = None
        self.hi: float | None = None
        self.n = 0

    def __call__(self, value: float) -> float:
        out = 0.0
        self.n += 1
        if self.lo is not None and self.hi is not None and self.hi > self.lo and self.n > self.warmup:
            span = self.hi - self.lo
            excess = max(value - self.hi, self.lo - value) / span
            if excess > self.tolerance:
                out = self.base + self.slope * min(excess, 1e6)
        self.lo = value if self.lo is None or value < self.lo else self.lo
        self.hi = value if self.hi is None or value > self.hi else self.hi
        return out

    def state(self) -> dict[str, Any]:
        return {"tolerance": self.tolerance, "base": self.base, "slope": self.slope, "warmup": self.warmup,
                "lo": self.lo, "hi": self.hi, "n": self.n}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> RangeNovelty:
        obj = cls(float(state["tolerance"]), float(state["base"]), float(state["slope"]), int(state["warmup"]))
        obj.lo = None if state["lo"] is None else float(state["lo"])
        obj.hi = None if state["hi"] is None else float(state["hi"])
        obj.n = int(state["n"])
        return obj


class NoveltyDetector:
    """Range novelty, a seasonal outlier confirmed by pattern novelty, or a seasonal
    deviation that persists; then re-weighed by how rare such evidence is lately.

    Evidence per point (decades):
    ``E = max(range, min(seasonal, agreement * novelty), held_seasonal)``, where
    ``novelty`` is the larger of the two pattern memories' surprises (fine: the last
    ``window`` points; coarse: the last ``window`` means of ``coarse`` points) kept as
    a maximum decaying with half-life ``novelty_half_life`` points (a shape break
    confirms the seasonal outliers that follow it for a while), and ``held_seasonal``
    is the smallest seasonal surprise of the last ``persistence`` points. Then
    ``E' = sqrt(E * R)`` with ``R`` the rarity of ``E`` over about ``rarity_horizon``
    points, scored as ``E' / (E' + half_score)`` and passed through a ``Refractory``.
    See the module docstring for the method and its sources.

    Defaults were chosen on the 41-file NAB development subset (one setting for every
    file; see bench/nab.py and docs/adr/0008-nab-detector.md); ``agreement``,
    ``novelty_half_life``, ``persistence`` and ``rarity_horizon`` are the sensitive
    ones. State: about ``(recent + keep) * window`` floats for the fine memory, half
    that for the coarse one, plus the seasonal profile's; fixed in shape from the
    first point.

    NaN is "no observation" (score 0, state untouched); ±Inf or a magnitude above
    ``MAX_MAGNITUDE`` scores 1 and is not learned (as for the other detectors).
    """

    kind = "novelty"

    def __init__(
        self,
        window: int = 8,
        recent: int = 300,
        keep: int = 300,
        keep_surprise: float = 1.0,
        horizon: float = 2000.0,
        coarse: int = 8,
        agreement: float = 2.0,
        novelty_half_life: float = 40.0,
        persistence: int = 5,
        rarity_horizon: float = 450.0,
        tolerance: float = 0.05,
        range_base: float = 10.0,
        range_slope: float = 10.0,
        half_score: float = 10.0,
        half_life: float = 50.0,
        damp: float = 0.5,
        warmup: int = 50,
        seasonal: dict[str, Any] | None = None,
    ) -> None:
        if coarse < 1 or persistence < 1:
            raise ValueError("coarse and persistence must be at least 1")
        self.params: dict[str, Any] = dict(
            window=window, recent=recent, keep=keep, keep_surprise=keep_surprise, horizon=horizon,
            coarse=coarse, agreement=agreement, novelty_half_life=novelty_half_life,
            persistence=persistence, rarity_horizon=rarity_horizon, tolerance=tolerance,
            range_base=range_base, range_slope=range_slope,
            half_score=half_score, half_life=half_life, damp=damp, warmup=warmup, seasonal=dict(seasonal or {}),
        )
        self.pattern = PatternMemory(window, recent, keep, keep_surprise, horizon)
        # Each coarse context spans ``coarse`` times as many points, so half the
        # capacity still remembers several times as much history as the fine memory.
        self.coarse_pattern = PatternMemory(window, max(10, recent // 2), keep // 2, keep_surprise, horizon)
        self.coarse = coarse
        self.block: list[float] = []  # the points of the coarse block being filled
        self.range = RangeNovelty(tolerance, range_base, range_slope, warmup)
        self.seasonal = SeasonalDetector(**(seasonal or {}))
        self.held: deque[float] = deque(maxlen=persistence)  # the last seasonal surprises
        self.rarity = ConformalTail(rarity_horizon)
        self.refractory = Refractory(half_life, damp)
        self.agreement = agreement
        self.novelty_decay = 0.5 ** (1.0 / novelty_half_life) if novelty_half_life > 0 else 0.0
        self.novelty = 0.0  # pattern novelty, as a decaying maximum over recent points
        self.half_score = half_score
        self.warmup = warmup
        self.n = 0

    def _coarse_novelty(self, value: float) -> float:
        """The coarse memory's surprise when ``value`` completes a block, else 0."""
        self.block.append(value)
        if len(self.block) < self.coarse:
            return 0.0
        mean = math.fsum(self.block) / self.coarse
        self.block = []
        return self.coarse_pattern(mean)

    def evidence(self, timestamp_ms: int, value: float) -> float:
        """The combined evidence ``E`` (decades) of one finite point, learning from it."""
        self.n += 1
        seasonal = self.seasonal.surprise(timestamp_ms, value)
        self.held.append(seasonal)
        fine = self.pattern(value)
        coarse = self._coarse_novelty(value)
        self.novelty = max(fine, coarse, self.novelty * self.novelty_decay)
        spatial = self.range(value)
        if self.n <= self.warmup:
            return 0.0
        held = min(self.held) if len(self.held) == self.held.maxlen else 0.0
        return max(spatial, min(seasonal, self.agreement * self.novelty), held)

    def update(self, timestamp_ms: int, value: float) -> float:
        value = float(value)
        if value != value:
            return 0.0
        if not -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE:
            return 1.0
        e = self.evidence(int(timestamp_ms), value)
        if self.n <= self.warmup:
            return 0.0  # the warm-up's zeros would teach the rarity tail that 0 is usual
        rare = self.rarity(e)
        e = math.sqrt(e * rare) if e > 0.0 and rare > 0.0 else 0.0
        score = e / (e + self.half_score) if e > 0.0 else 0.0
        return min(1.0, max(0.0, self.refractory(score)))

    def state(self) -> dict[str, Any]:
        """JSON-compatible and fixed in shape: the pending block and the held seasonal
        surprises are padded to their capacity, with a count of the entries in use."""
        held_cap = self.held.maxlen or 0
        return {
            "kind": self.kind, "params": dict(self.params), "n": self.n, "novelty": self.novelty,
            "pattern": self.pattern.state(), "coarse_pattern": self.coarse_pattern.state(),
            "block": self.block + [0.0] * (self.coarse - len(self.block)), "block_count": len(self.block),
            "held": list(self.held) + [0.0] * (held_cap - len(self.held)), "held_count": len(self.held),
            "range": self.range.state(), "seasonal": self.seasonal.state(),
            "rarity": self.rarity.state(), "refractory": self.refractory.state(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> NoveltyDetector:
        obj = cls(**state["params"])
        obj.n = int(state["n"])
        obj.novelty = float(state["novelty"])
        obj.pattern = PatternMemory.from_state(state["pattern"])
        obj.coarse_pattern = PatternMemory.from_state(state["coarse_pattern"])
        obj.block = [float(v) for v in state["block"][: int(state["block_count"])]]
        obj.held.extend(float(v) for v in state["held"][: int(state["held_count"])])
        obj.range = RangeNovelty.from_state(state["range"])
        obj.seasonal = SeasonalDetector.from_state(state["seasonal"])
        obj.rarity = ConformalTail.from_state(state["rarity"])
        obj.refractory = Refractory.from_state(state["refractory"])
        return obj
