"""The NAB (Numenta Anomaly Benchmark) runner and scorer, written from the data's README.

Why it lives here: judging a detector is a use case over domain detectors, with no I/O
of its own. The entrypoint reads the CSV files and labels through ``adapters.nab`` and
hands this module plain lists (epoch-millisecond timestamps, floats, window bounds).

The scoring rules, restated (see the README for the original):

* ``probation_length(n) = min(floor(0.15 n), 750)``; those first points are not scored.
* A detection is a point whose score is ``>= threshold``; the threshold is one number
  for the whole corpus, chosen per profile by a sweep over every distinct score.
* In a window ``[l, r]`` of width ``w = r - l + 1`` point ``i`` sits at
  ``y = -(r - i + 1) / w``; a window counts only its best detection,
  ``A_TP * sig(y) / sig(-1)``, or ``-A_FN`` when it has none.
* Outside windows a detection costs ``A_FP * sig(|r - i| / (w - 1))`` relative to the
  previous window (``r``, ``w``), or ``-A_FP`` before the first window.
* ``sig(y) = 2 / (1 + exp(5 y)) - 1``, and ``-1`` when ``y > 3``.
* ``score = 100 (raw - null) / (perfect - null)`` with ``null = -A_FN * windows`` and
  ``perfect = A_TP * windows``, over the corpus or over one category.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from domain.anomaly import Detector


@dataclass(frozen=True)
class Profile:
    """The weights of one application profile."""

    a_tp: float
    a_fp: float
    a_fn: float


PROFILES: dict[str, Profile] = {
    "standard": Profile(1.0, 0.11, 1.0),
    "reward_low_FP_rate": Profile(1.0, 0.22, 1.0),
    "reward_low_FN_rate": Profile(1.0, 0.11, 2.0),
}


def probation_length(n: int) -> int:
    return min(math.floor(0.15 * n), 750)


def scaled_sigmoid(y: float) -> float:
    if y > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0


_SIG_MINUS_ONE = scaled_sigmoid(-1.0)


@dataclass(frozen=True)
class ScoredPoint:
    """What a detection at one scorable point is worth, before the profile's weight.

    ``window`` is the index of the file's window holding the point (``value`` is then
    ``sig(y) / sig(-1)`` in (0, 1]) or ``None`` (``value`` is ``sig(y)`` in [-1, 0)).
    """

    index: int
    window: int | None
    value: float


def window_indices(timestamps: Sequence[int], windows: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Windows as index ranges ``(l, r)``, sorted; bounds snap inward to existing points."""
    out = []
    for start, end in sorted(windows):
        lo = bisect.bisect_left(timestamps, start)
        hi = bisect.bisect_right(timestamps, end) - 1
        if lo <= hi:
            out.append((lo, hi))
    return out


def scorable_points(n: int, windows: Sequence[tuple[int, int]]) -> list[ScoredPoint]:
    """The worth of a detection at every point after probation (README's rules)."""
    points = []
    probation = probation_length(n)
    prev: tuple[int, int] | None = None  # (right edge, width) of the last window passed
    w_iter = iter(enumerate(windows))
    nxt = next(w_iter, None)
    for i in range(n):
        while nxt is not None and i > nxt[1][1]:
            prev = (nxt[1][1], nxt[1][1] - nxt[1][0] + 1)
            nxt = next(w_iter, None)
        if nxt is not None and nxt[1][0] <= i <= nxt[1][1]:
            k, (lo, hi) = nxt
            width = hi - lo + 1
            value = scaled_sigmoid(-(hi - i + 1) / width) / _SIG_MINUS_ONE
            window: int | None = k
        elif prev is None:
            value, window = -1.0, None
        else:
            right, width = prev
            value = scaled_sigmoid(abs(right - i) / (width - 1)) if width > 1 else -1.0
            window = None
        if i >= probation:
            points.append(ScoredPoint(i, window, value))
    return points


@dataclass
class FileResult:
    """One file's detector output, ready for scoring."""

    name: str  # "<category>/<file>.csv"
    scores: list[float]
    windows: list[tuple[int, int]]  # index ranges
    points: list[ScoredPoint] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.points:
            self.points = scorable_points(len(self.scores), self.windows)

    @property
    def category(self) -> str:
        return self.name.split("/", 1)[0]


def raw_score(files: Sequence[FileResult], profile: Profile, threshold: float) -> float:
    """The summed raw score of ``files`` at one threshold."""
    raw = 0.0
    for f in files:
        best: dict[int, float] = {}
        for p in f.points:
            if f.scores[p.index] < threshold:
                continue
            if p.window is None:
                raw += profile.a_fp * p.value
            elif p.value > best.get(p.window, -math.inf):
                best[p.window] = p.value
        raw += sum(profile.a_tp * v for v in best.values())
        raw -= profile.a_fn * (len(f.windows) - len(best))
    return raw


def normalise(raw: float, windows: int, profile: Profile) -> float:
    """100 for the perfect detector, 0 for the null one (0 when there is no window)."""
    null, perfect = -profile.a_fn * windows, profile.a_tp * windows
    return 100.0 * (raw - null) / (perfect - null) if perfect > null else 0.0


def sweep(files: Sequence[FileResult], profile: Profile) -> tuple[float, float]:
    """``(threshold, raw)`` maximising the raw score over every distinct score.

    Detections are added in decreasing score order, keeping each window's best value,
    so the whole sweep costs one sort. The start (threshold above every score) is the
    null detector; on ties the higher threshold wins (fewer detections).
    """
    events = []
    n_windows = 0
    for fi, f in enumerate(files):
        n_windows += len(f.windows)
        for p in f.points:
            events.append((f.scores[p.index], fi, p.window, p.value))
    events.sort(key=lambda e: e[0], reverse=True)
    raw = -profile.a_fn * n_windows
    best_raw, best_threshold = raw, math.inf
    best: dict[tuple[int, int], float] = {}
    i = 0
    while i < len(events):
        threshold = events[i][0]
        while i < len(events) and events[i][0] == threshold:
            _, fi, window, value = events[i]
            i += 1
            if window is None:
                raw += profile.a_fp * value
                continue
            key = (fi, window)
            old = best.get(key)
            if old is None:
                raw += profile.a_fn + profile.a_tp * value
                best[key] = value
            elif value > old:
                raw += profile.a_tp * (value - old)
                best[key] = value
        if raw > best_raw + 1e-12:
            best_raw, best_threshold = raw, threshold
    return best_threshold, best_raw


@dataclass(frozen=True)
class ProfileScore:
    threshold: float
    score: float
    by_category: dict[str, float]


def score_corpus(files: Sequence[FileResult]) -> dict[str, ProfileScore]:
    """Every profile's normalised score, its threshold, and the per-category scores.

    Per-category scores use the corpus threshold of the profile (one configuration for
    every file), normalised over that category's windows.
    """
    out = {}
    categories = sorted({f.category for f in files})
    total_windows = sum(len(f.windows) for f in files)
    for name, profile in PROFILES.items():
        threshold, raw = sweep(files, profile)
        by_category = {}
        for cat in categories:
            subset = [f for f in files if f.category == cat]
            cat_raw = raw_score(subset, profile, threshold)
            by_category[cat] = normalise(cat_raw, sum(len(f.windows) for f in subset), profile)
        out[name] = ProfileScore(threshold, normalise(raw, total_windows, profile), by_category)
    return out


def run_detector(detector: Detector, timestamps: Sequence[int], values: Sequence[float]) -> list[float]:
    """Stream one file through a fresh detector, point by point, in order."""
    return [detector.update(t, v) for t, v in zip(timestamps, values)]


def run_file(
    make: Callable[[], Detector],
    name: str,
    timestamps: Sequence[int],
    values: Sequence[float],
    windows: Iterable[tuple[int, int]],
) -> FileResult:
    """Run a fresh detector over one file and attach the file's windows (as indices)."""
    scores = run_detector(make(), timestamps, values)
    return FileResult(name, scores, window_indices(timestamps, windows))


def format_report(detector: str, n_files: int, scores: Mapping[str, ProfileScore]) -> list[str]:
    """The lines the CLI prints: the corpus line, then one per category."""
    s, f, n = (scores[p] for p in PROFILES)
    lines = [
        f"nab detector={detector} files={n_files} standard={s.score:.2f} "
        f"reward_low_FP_rate={f.score:.2f} reward_low_FN_rate={n.score:.2f}"
    ]
    for cat in s.by_category:
        lines.append(
            f"nab category={cat} standard={s.by_category[cat]:.2f} "
            f"reward_low_FP_rate={f.by_category[cat]:.2f} reward_low_FN_rate={n.by_category[cat]:.2f}"
        )
    return lines
