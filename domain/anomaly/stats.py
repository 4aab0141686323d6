"""Streaming statistics with O(1) state, and the calibration of scores.

Why these pieces: every detector here reduces to "how far is this point from what the
series usually does, in units of how much it usually varies", then to "how rare is
that, as a probability". Keeping the estimators robust (winsorised updates) means one
spike does not teach the baseline that spikes are normal; keeping the mapping from a
tail probability to a score fixed means a threshold has the same meaning on every
series: a score ``s`` is an event with probability ``10 ** (-s * DECADES)``.

All classes hold plain floats/ints and round-trip through ``state()``/``from_state()``
as JSON-compatible dicts.
"""

from __future__ import annotations

import math
from typing import Any

LN10 = math.log(10.0)
_SQRT2 = math.sqrt(2.0)
_HALF_LOG_PI_2 = 0.5 * math.log(math.pi / 2.0)

#: A score of 1.0 is a tail probability of 10**-DECADES under the detector's model.
DECADES = 20.0


def two_sided_surprise(z: float) -> float:
    """``-log10 P(|Z| >= |z|)`` for a standard normal Z, finite for every finite z.

    ``erfc`` underflows near |z| = 38; past 30 the Mills-ratio asymptote is used, whose
    relative error there is below 0.1 %.
    """
    z = abs(z)
    if z != z:  # NaN
        return 0.0
    if z < 30.0:
        return -math.log10(math.erfc(z / _SQRT2))
    if z == math.inf:
        return math.inf
    # log P(|Z|>=z) ~ log(2 phi(z)/z) = -z^2/2 - log z - log sqrt(pi/2)
    return (0.5 * z * z + math.log(z) + _HALF_LOG_PI_2) / LN10


def one_sided_surprise(z: float) -> float:
    """``-log10 P(Z >= z)``: only deviations above the expectation count."""
    if z != z:
        return 0.0
    if z <= 0.0:
        return -math.log10(0.5 * math.erfc(z / _SQRT2))
    return two_sided_surprise(z) + math.log10(2.0)


def surprise_to_score(surprise: float, decades: float = DECADES) -> float:
    """Map a surprise (decades of improbability) onto [0, 1]; NaN maps to 0."""
    if not surprise > 0.0:
        return 0.0
    return min(1.0, surprise / decades)


class RobustEwma:
    """Exponentially weighted mean and scale, updated with a winsorised residual.

    The scale is an EW mean absolute deviation times sqrt(pi/2) (equal to sigma for a
    normal series, less moved by outliers than a variance). Residuals are clipped to
    ``clip`` scales before they update the estimates, so a burst moves the baseline
    slowly while a lasting level shift is still learned (the clipped steps add up,
    and the scale grows meanwhile). The first ``1/alpha`` points use a running average
    (weights ``1/n``) so the estimates are unbiased from the start.
    """

    __slots__ = ("alpha", "clip", "mean", "mad", "n")

    def __init__(self, alpha: float = 0.01, clip: float = 4.0) -> None:
        self.alpha = alpha
        self.clip = clip
        self.mean = 0.0
        self.mad = 0.0
        self.n = 0

    @property
    def scale(self) -> float:
        return self.mad * 1.2533141373155003

    def zscore(self, x: float, floor: float = 0.0) -> float:
        """``(x - mean) / scale`` before this point updates anything; 0 before data."""
        if self.n == 0:
            return 0.0
        scale = math.hypot(self.scale, floor)
        diff = x - self.mean
        if scale > 0.0:
            return diff / scale
        return 0.0 if diff == 0.0 else math.copysign(math.inf, diff)

    def update(self, x: float) -> None:
        self.n += 1
        if self.n == 1:
            self.mean = x
            return
        a = max(self.alpha, 1.0 / self.n)
        diff = x - self.mean
        if self.n > 10:
            bound = self.clip * self.scale
            diff = max(-bound, min(bound, diff)) if bound > 0.0 else diff
        self.mean += a * diff
        self.mad += a * (abs(diff) - self.mad)

    def state(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "clip": self.clip, "mean": self.mean, "mad": self.mad, "n": self.n}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> RobustEwma:
        obj = cls(state["alpha"], state["clip"])
        obj.mean, obj.mad, obj.n = float(state["mean"]), float(state["mad"]), int(state["n"])
        return obj


class Refractory:
    """Alert once per event: after a high score, only a higher one passes at full height.

    Why: one incident is one page. Without this, a 30-point excursion raises 30 alarms,
    which in production is alert noise and in NAB is 29 false positives. A decaying peak
    ``h`` (half-life ``half_life`` points) remembers the last high score; a score below
    it is multiplied by ``damp``. No threshold is involved, so the swept threshold and
    an operator's threshold keep their meaning.
    """

    __slots__ = ("decay", "damp", "peak")

    def __init__(self, half_life: float = 100.0, damp: float = 0.5) -> None:
        self.decay = 0.5 ** (1.0 / half_life) if half_life > 0 else 0.0
        self.damp = damp
        self.peak = 0.0

    def __call__(self, score: float) -> float:
        out = score if score > self.peak else score * self.damp
        self.peak = max(score, self.peak * self.decay)
        return out

    def state(self) -> dict[str, Any]:
        return {"decay": self.decay, "damp": self.damp, "peak": self.peak}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Refractory:
        obj = cls()
        obj.decay, obj.damp, obj.peak = float(state["decay"]), float(state["damp"]), float(state["peak"])
        return obj


class TailCalibrator:
    """How rare is this surprise among the series' own past surprises (a learned tail).

    Why: a raw surprise assumes normal residuals, and real series are not normal: a
    step every morning or a spiky load balancer produces "10-sigma" points every day.
    This keeps an exponentially decayed histogram of past surprises (``BINS`` log-spaced
    bins, bounded memory; effective memory ``horizon`` points) and returns
    ``-log10 p`` with

        p = (weight of past surprises >= s + prior * 10**-(s - peak)+) / (total + prior)

    where ``peak`` is the largest recent surprise (decaying over the horizon). Within the
    range already seen the empirical frequency rules; beyond it the model's own tail
    extrapolates *from the recent peak*, so a new record scores about log10(horizon)
    decades plus how far it exceeds the old record: a point far beyond anything seen
    ranks above one just beyond it, and a series whose records are routinely "10-sigma"
    is not alarming on every new one. Decay is lazy (new weights grow by 1/gamma each
    step, rescaled when large), so an update costs O(1) plus one slice sum.
    """

    BINS = 96
    _RESCALE = 1e150

    __slots__ = ("gamma", "prior", "bins", "total", "weight", "peak", "relative")

    def __init__(self, horizon: float = 2000.0, prior: float = 1.0, relative: bool = True) -> None:
        self.gamma = 1.0 - 1.0 / horizon
        self.prior = prior
        self.bins = [0.0] * self.BINS
        self.total = 0.0
        self.weight = 1.0
        self.peak = 0.0
        self.relative = relative

    @classmethod
    def _bin(cls, surprise: float) -> int:
        return min(cls.BINS - 1, int(4.0 * math.log2(1.0 + surprise)))

    def __call__(self, surprise: float) -> float:
        if not surprise >= 0.0:  # NaN or negative: no evidence
            return 0.0
        b = self._bin(min(surprise, 1e12))
        scale = self.weight  # express the prior in units of the current newest weight
        tail = math.fsum(self.bins[b:]) if self.total > 0.0 else 0.0
        excess = surprise - self.peak if self.relative else surprise
        model = 10.0 ** -min(max(excess, 0.0), 300.0)
        self.peak = max(surprise, self.peak * self.gamma) if surprise < 1e12 else self.peak
        p = (tail + self.prior * scale * model) / (self.total + self.prior * scale)
        self.bins[b] += self.weight
        self.total += self.weight
        self.weight /= self.gamma
        if self.weight > self._RESCALE:
            self.bins = [w / self.weight for w in self.bins]
            self.total /= self.weight
            self.weight = 1.0
        return -math.log10(p) if p > 0.0 else 300.0

    def state(self) -> dict[str, Any]:
        return {
            "gamma": self.gamma, "prior": self.prior, "bins": list(self.bins), "total": self.total,
            "weight": self.weight, "peak": self.peak, "relative": self.relative,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> TailCalibrator:
        obj = cls()
        obj.gamma, obj.prior = float(state["gamma"]), float(state["prior"])
        obj.bins = [float(w) for w in state["bins"]]
        obj.total, obj.weight = float(state["total"]), float(state["weight"])
        obj.peak, obj.relative = float(state["peak"]), bool(state["relative"])
        return obj


class ZFeature:
    """A z-score against a robust EWMA whose scale has a floor from a slower estimator.

    Why the floor: a series that is flat for an hour has a near-zero short-memory
    scale, and its next ordinary wiggle would be a 50-sigma event. The floor is
    ``floor`` times the same feature's long-memory scale (``floor_alpha``).
    """

    __slots__ = ("base", "ref", "floor")

    def __init__(self, alpha: float = 0.02, floor: float = 0.1, floor_alpha: float = 0.001) -> None:
        self.base = RobustEwma(alpha)
        self.ref = RobustEwma(floor_alpha)
        self.floor = floor

    def __call__(self, x: float) -> float:
        """The z-score of ``x``, then learn from it."""
        z = self.base.zscore(x, self.floor * self.ref.scale)
        self.base.update(x)
        self.ref.update(x)
        return z

    def state(self) -> dict[str, Any]:
        return {"base": self.base.state(), "ref": self.ref.state(), "floor": self.floor}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ZFeature:
        obj = cls()
        obj.base = RobustEwma.from_state(state["base"])
        obj.ref = RobustEwma.from_state(state["ref"])
        obj.floor = float(state["floor"])
        return obj
