"""Windows of a series' samples at every step, as index ranges into its arrays.

A window ``[end - range, end]`` is ``values[lo:hi]`` with ``lo``/``hi`` from one
``searchsorted`` each over all steps. Functions that only need sums or counts use
prefix sums (``window_sum``); functions that must visit samples in order (Kahan sums,
Welford, Holt-Winters, sorting) get the windows laid out as rows of a padded matrix
(``Windows``) and loop over its *columns*, so the Python loop runs once per sample
position in the longest window, vectorised over every step.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

# Rows x columns of one padded block; longer ranges are processed in blocks of steps.
BLOCK_ELEMENTS = 1 << 21


def bounds(ts: np.ndarray, ends: np.ndarray, range_ms: int) -> tuple[np.ndarray, np.ndarray]:
    """``lo, hi`` per step: the window of step i is ``[lo[i], hi[i])``."""
    return np.searchsorted(ts, ends - range_ms, "left"), np.searchsorted(ts, ends, "right")


def window_sum(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Sum of ``x[lo:hi]`` per step by prefix sums, with IEEE results for NaN and ±Inf
    (a prefix sum through a NaN would poison every later window)."""
    finite = np.isfinite(x)
    if finite.all():
        c = np.concatenate(([0.0], np.cumsum(x)))
        return c[hi] - c[lo]
    c = np.concatenate(([0.0], np.cumsum(np.where(finite, x, 0.0))))
    out = c[hi] - c[lo]

    def any_in(hit: np.ndarray) -> np.ndarray:
        counts = np.concatenate(([0], np.cumsum(hit)))
        return counts[hi] > counts[lo]

    pos, neg = any_in(x == np.inf), any_in(x == -np.inf)
    out = np.where(pos, np.inf, np.where(neg, -np.inf, out))
    return np.where(any_in(np.isnan(x)) | (pos & neg), np.nan, out)


@dataclass(frozen=True, slots=True)
class Windows:
    """Windows of steps ``rows`` as a padded matrix: ``values[r, j]`` is the j-th sample
    of step r's window where ``valid[r, j]``; ``count[r]`` samples per step."""

    rows: slice
    values: np.ndarray
    times: np.ndarray
    valid: np.ndarray
    count: np.ndarray


def padded(ts: np.ndarray, vs: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> Iterator[Windows]:
    """The windows in blocks of steps, each block small enough to lay out whole."""
    count = hi - lo
    steps = count.size
    if steps == 0 or vs.size == 0:
        return
    width = max(int(count.max()), 1)
    per_block = max(1, BLOCK_ELEMENTS // width)
    last = vs.size - 1
    cols = np.arange(width)
    for start in range(0, steps, per_block):
        rows = slice(start, min(steps, start + per_block))
        c = count[rows]
        idx = lo[rows, None] + cols[None, :]
        valid = cols[None, :] < c[:, None]
        idx = np.minimum(idx, last)
        yield Windows(rows, vs[idx], ts[idx], valid, c)


def kahan_add(total: np.ndarray, comp: np.ndarray, inc: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One step of Prometheus' ``kahanSumInc`` (Neumaier) where ``mask``."""
    t = total + inc
    c = comp + np.where(np.abs(total) >= np.abs(inc), (total - t) + inc, (inc - t) + total)
    return np.where(mask, t, total), np.where(mask, c, comp)
