"""Streaming detectors: a robust baseline, a seasonal profile, and their ensemble.

Every detector works the same way, so their scores mean the same thing:

1. *Features*: for each point, a few z-scores from robust exponentially weighted
   estimators (``stats.RobustEwma``): the value against a short and a long baseline,
   a smoothed value against the long baseline, the step from the previous point, the
   value against its time-of-day and time-of-week bucket.
2. *Surprise*: each z becomes ``-log10`` of its normal tail probability.
3. *Calibration*: each surprise is re-expressed against the series' own history of
   that surprise (``stats.TailCalibrator``), so a series that routinely jumps does not
   alarm on every jump, and a record far beyond anything seen scores highest.
4. *Score*: the largest calibrated surprise, mapped to [0, 1] (``surprise_to_score``),
   then ``stats.Refractory`` so one event alarms once.

State is O(1) per series: a fixed number of floats (the seasonal buckets are bounded
by ``day_buckets + week_buckets``; the calibrators by ``TailCalibrator.BINS``), so the
evaluator can keep it per series and checkpoint it as JSON (``state()``/``from_state``).

Input rules: NaN is "no observation": score 0.0 and the state is not touched. ±Inf and
magnitudes above ``MAX_MAGNITUDE`` are certainly outside anything learned: score 1.0,
state not touched (learning from them would poison every estimate).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any, Protocol

from domain.anomaly.stats import (
    DECADES,
    Refractory,
    RobustEwma,
    TailCalibrator,
    ZFeature,
    surprise_to_score,
    two_sided_surprise,
)

MAX_MAGNITUDE = 1e100
DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS


class Detector(Protocol):
    """What the evaluator (and the NAB runner) needs from a detector."""

    def update(self, timestamp_ms: int, value: float) -> float: ...

    def state(self) -> dict[str, Any]: ...


def _bad(value: float) -> float | None:
    """The score for an input that must not be learned from, or None for a good one."""
    if value != value:
        return 0.0
    if not -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE:
        return 1.0
    return None


class _Calibrated(ABC):
    """Shared plumbing: calibrated features -> score -> refractory, plus warm-up.

    Subclasses implement ``_surprises(t, x) -> list[float]`` (raw surprises in a fixed
    order) and list their estimators in ``_parts`` for ``state()``.
    """

    kind = ""
    n_features = 0

    def __init__(self, horizon: float, half_life: float, damp: float, decades: float, warmup: int) -> None:
        self.params: dict[str, Any] = {}
        self.calibrators = [TailCalibrator(horizon) for _ in range(self.n_features)]
        self.refractory = Refractory(half_life, damp)
        self.decades = decades
        self.warmup = warmup
        self.n = 0

    @abstractmethod
    def _surprises(self, timestamp_ms: int, value: float) -> list[float]:
        """The raw surprises of this point, one per calibrator, learning from it."""

    def surprise(self, timestamp_ms: int, value: float) -> float:
        """The largest calibrated surprise of this point (decades), learning from it."""
        raw = self._surprises(timestamp_ms, value)
        self.n += 1
        if self.n <= self.warmup:
            # The estimators are still settling (the second point of a series is an
            # "infinite-sigma" event): teaching those surprises to the calibrators
            # would make them shrug at real anomalies for a whole horizon.
            return 0.0
        best = 0.0
        for cal, s in zip(self.calibrators, raw):
            c = cal(s)
            if c > best:
                best = c
        return best

    def update(self, timestamp_ms: int, value: float) -> float:
        value = float(value)
        bad = _bad(value)
        if bad is not None:
            return bad
        return self.refractory(surprise_to_score(self.surprise(int(timestamp_ms), value), self.decades))

    # -- state -----------------------------------------------------------------------
    @abstractmethod
    def _parts(self) -> dict[str, Any]:
        """The subclass's own state, JSON-serialisable."""

    def state(self) -> dict[str, Any]:
        parts = {k: (v.state() if hasattr(v, "state") else v) for k, v in self._parts().items()}
        return {
            "kind": self.kind,
            "params": dict(self.params),
            "n": self.n,
            "calibrators": [c.state() for c in self.calibrators],
            "refractory": self.refractory.state(),
            **parts,
        }

    def _load_common(self, state: dict[str, Any]) -> None:
        self.n = int(state["n"])
        self.calibrators = [TailCalibrator.from_state(c) for c in state["calibrators"]]
        self.refractory = Refractory.from_state(state["refractory"])


class BaselineDetector(_Calibrated):
    """Robust EWMA baseline: level (short and long memory), smoothed level, and step.

    Why four views: a spike shows in the step and the short level; a slow drift to a
    level never seen shows in the long level; a small lasting shift buried in noise
    shows in the smoothed level (averaging ``1/smooth`` points cuts the noise). Each
    z-score's scale has a floor of ``floor`` times the long-memory scale, so a series
    that goes flat for a while does not turn its next small wiggle into a 50-sigma event.
    """

    kind = "ewma"
    n_features = 4

    def __init__(
        self,
        short_alpha: float = 0.02,
        long_alpha: float = 0.001,
        smooth: float = 0.1,
        floor: float = 0.1,
        horizon: float = 2000.0,
        half_life: float = 100.0,
        damp: float = 0.5,
        decades: float = DECADES,
        warmup: int = 50,
    ) -> None:
        super().__init__(horizon, half_life, damp, decades, warmup)
        self.params = dict(
            short_alpha=short_alpha, long_alpha=long_alpha, smooth=smooth, floor=floor,
            horizon=horizon, half_life=half_life, damp=damp, decades=decades, warmup=warmup,
        )
        self.short = ZFeature(short_alpha, floor, long_alpha)
        self.long = ZFeature(long_alpha, floor, long_alpha)
        self.smoothed = ZFeature(long_alpha, floor, long_alpha)
        self.step = ZFeature(short_alpha, floor, long_alpha)
        self.smooth = smooth
        self.avg = 0.0
        self.prev: float | None = None

    def _surprises(self, timestamp_ms: int, value: float) -> list[float]:
        self.avg = value if self.prev is None else self.avg + self.smooth * (value - self.avg)
        out = [
            two_sided_surprise(self.short(value)),
            two_sided_surprise(self.long(value)),
            two_sided_surprise(self.smoothed(self.avg)),
            0.0 if self.prev is None else two_sided_surprise(self.step(value - self.prev)),
        ]
        self.prev = value
        return out

    def _parts(self) -> dict[str, Any]:
        return {"short": self.short, "long": self.long, "smoothed": self.smoothed,
                "step": self.step, "avg": self.avg, "prev": self.prev}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> BaselineDetector:
        obj = cls(**state["params"])
        obj._load_common(state)
        for name in ("short", "long", "smoothed", "step"):
            setattr(obj, name, ZFeature.from_state(state[name]))
        obj.avg = float(state["avg"])
        obj.prev = None if state["prev"] is None else float(state["prev"])
        return obj


class SeasonalDetector(_Calibrated):
    """Daily and weekly profiles: one robust EWMA per time-of-day / time-of-week bucket.

    Why "the better-fitting profile": a point is only surprising if neither its
    time-of-day nor its time-of-week history expects it (weekends differ from weekdays;
    a daily pattern needs only a day to learn, a weekly one a week). A bucket is used
    once it has ``min_count`` points (until then its view is silent), with its scale
    shrunk toward the series' overall scale while it is young, and it may excuse a
    point the other profile finds surprising only once it holds ``2 * prior_count``. Buckets are
    fixed in number (``day_buckets + week_buckets``), so state stays bounded.
    """

    kind = "seasonal"
    n_features = 2

    def __init__(
        self,
        day_buckets: int = 48,
        week_buckets: int = 168,
        bucket_alpha: float = 0.1,
        long_alpha: float = 0.001,
        floor: float = 0.1,
        min_count: int = 3,
        prior_count: float = 5.0,
        horizon: float = 2000.0,
        half_life: float = 100.0,
        damp: float = 0.5,
        decades: float = DECADES,
        warmup: int = 50,
    ) -> None:
        super().__init__(horizon, half_life, damp, decades, warmup)
        self.params = dict(
            day_buckets=day_buckets, week_buckets=week_buckets, bucket_alpha=bucket_alpha,
            long_alpha=long_alpha, floor=floor, min_count=min_count, prior_count=prior_count, horizon=horizon,
            half_life=half_life, damp=damp, decades=decades, warmup=warmup,
        )
        self.day = [RobustEwma(bucket_alpha) for _ in range(day_buckets)]
        self.week = [RobustEwma(bucket_alpha) for _ in range(week_buckets)]
        self.long = RobustEwma(long_alpha)
        self.floor = floor
        self.min_count = min_count
        self.prior_count = prior_count

    def _bucket_z(
        self, buckets: list[RobustEwma], period: int, t: int, value: float, scale: float
    ) -> tuple[float | None, int]:
        est = buckets[(t % period) * len(buckets) // period]
        n = est.n
        z = None
        if est.n >= self.min_count:
            # Shrink a young bucket's scale toward the series' overall scale (as if it
            # held ``prior_count`` points of it): three points say little about spread.
            floor = scale * max(self.floor, math.sqrt(self.prior_count / (est.n + self.prior_count)))
            z = est.zscore(value, floor)
        est.update(value)
        return z, n

    def _surprises(self, timestamp_ms: int, value: float) -> list[float]:
        scale = self.long.scale
        zd, nd = self._bucket_z(self.day, DAY_MS, timestamp_ms, value, scale)
        zw, nw = self._bucket_z(self.week, WEEK_MS, timestamp_ms, value, scale)
        self.long.update(value)
        sd = 0.0 if zd is None else two_sided_surprise(zd)
        sw = 0.0 if zw is None else two_sided_surprise(zw)
        mature = 2.0 * self.prior_count  # a profile vetoes only once its own data outweighs the prior
        if zd is not None and zw is not None and min(nd, nw) >= mature:
            sd = sw = min(sd, sw)
        return [sd, sw]

    def _parts(self) -> dict[str, Any]:
        return {"day": [b.state() for b in self.day], "week": [b.state() for b in self.week], "long": self.long}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> SeasonalDetector:
        obj = cls(**state["params"])
        obj._load_common(state)
        obj.day = [RobustEwma.from_state(b) for b in state["day"]]
        obj.week = [RobustEwma.from_state(b) for b in state["week"]]
        obj.long = RobustEwma.from_state(state["long"])
        return obj


class EnsembleDetector:
    """The baseline and the seasonal detector voting by their strongest evidence.

    Why the maximum of calibrated surprises: each member already expresses its evidence
    as "how rare is this for this series" in the same unit (decades), so the largest is
    the most specific alarm; averaging would dilute a spike that only one view sees.
    The members' own refractory periods are bypassed and one is applied to the result,
    so one event alarms once whichever member saw it.
    """

    kind = "ensemble"

    def __init__(
        self,
        members: tuple[str, ...] = ("ewma", "seasonal"),
        member_params: dict[str, dict[str, Any]] | None = None,
        half_life: float = 100.0,
        damp: float = 0.5,
        decades: float = DECADES,
    ) -> None:
        member_params = member_params or {}
        self.params = dict(members=list(members), member_params=member_params,
                           half_life=half_life, damp=damp, decades=decades)
        self.members: list[_Calibrated] = [_MEMBERS[m](**member_params.get(m, {})) for m in members]
        self.refractory = Refractory(half_life, damp)
        self.decades = decades

    def update(self, timestamp_ms: int, value: float) -> float:
        value = float(value)
        bad = _bad(value)
        if bad is not None:
            return bad
        t = int(timestamp_ms)
        best = max(m.surprise(t, value) for m in self.members)
        return self.refractory(surprise_to_score(best, self.decades))

    def state(self) -> dict[str, Any]:
        return {"kind": self.kind, "params": self.params, "refractory": self.refractory.state(),
                "members": [m.state() for m in self.members]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> EnsembleDetector:
        params = state["params"]
        obj = cls(tuple(params["members"]), params["member_params"], params["half_life"],
                  params["damp"], params["decades"])
        obj.refractory = Refractory.from_state(state["refractory"])
        obj.members = [_MEMBERS[s["kind"]].from_state(s) for s in state["members"]]
        return obj


_MEMBERS: dict[str, Any] = {"ewma": BaselineDetector, "seasonal": SeasonalDetector}
