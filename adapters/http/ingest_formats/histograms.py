"""Exponential (OTLP) and native (Prometheus) histograms as classic explicit buckets.

We store histograms the classic way (``_bucket{le}``, ``_sum``, ``_count``: see
``domain/metrics/kinds.py``), which every query and dashboard understands. Exponential
buckets have boundaries ``base**i`` with ``base = 2**(2**-scale)``; at scale 0 those are
the powers of two, exact in binary floating point and readable as ``le`` labels
(``0.25``, ``1``, ``1024``). So a point is first *downscaled* to ``target_scale`` (0 by
default): downscaling merges 2**k adjacent buckets exactly (``index >> k``), it never
splits one, so no observation moves to a wrong bucket; only resolution is lost (at scale
0 a bucket spans a factor of 2). The bucket layout then stays the same from point to
point, so the ``le`` series are stable. Finer target scales give finer (irrational)
bounds.

The buckets emitted run from the lowest to the highest populated bucket (gaps included,
so every emitted ``le`` has a meaningful cumulative count), then ``+Inf`` with the
total count. Negative buckets come first (``le`` = minus the bucket's lower magnitude),
then the zero bucket (``le`` = the zero threshold).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from domain.errors import LimitExceeded, ValidationError

MAX_BUCKETS = 10_000  # per side of one point (the OTel SDK default max_size is 160)
MIN_SCALE, MAX_SCALE = -10, 20  # OTLP's documented scale range
_MAX_EXP, _MIN_EXP = 1024, -1075  # 2**1024 overflows to +Inf; 2**-1075 underflows to 0


def _power_of_base(index: int, scale: int) -> float:
    """``base**index`` for ``base = 2**(2**-scale)``, clamped to [0, +Inf] instead of raising."""
    exponent = index * 2.0 ** -scale
    if exponent >= _MAX_EXP:
        return math.inf
    if exponent <= _MIN_EXP:
        return 0.0
    if scale <= 0:
        return math.ldexp(1.0, index << -scale)
    return 2.0 ** exponent


def dense_buckets(offset: int, counts: Sequence[float], where: str) -> dict[int, float]:
    """OTLP's dense layout (``offset`` plus consecutive counts) as ``{index: count}``."""
    if len(counts) > MAX_BUCKETS:
        raise LimitExceeded(
            f"histogram has {len(counts)} buckets on one side, over the limit of {MAX_BUCKETS}",
            field=where, limit="max_histogram_buckets", value=MAX_BUCKETS,
        )
    return {offset + k: float(c) for k, c in enumerate(counts) if c}


def _downscale(buckets: Mapping[int, float], shift: int) -> dict[int, float]:
    out: dict[int, float] = {}
    for idx, c in buckets.items():
        if c:
            j = idx >> shift  # floor division by 2**shift, also for negative indexes
            out[j] = out.get(j, 0.0) + c
    return out


def _indexes(buckets: Mapping[int, float]) -> list[int]:
    """Populated indexes, with the gaps between them filled while that stays bounded."""
    lo, hi = min(buckets), max(buckets)
    return list(range(lo, hi + 1)) if hi - lo <= MAX_BUCKETS else sorted(buckets)


def exponential_to_explicit(
    scale: int,
    zero_count: float,
    zero_threshold: float,
    positive: Mapping[int, float],
    negative: Mapping[int, float],
    total: float,
    *,
    target_scale: int = 0,
    where: str = "",
) -> list[tuple[float, float]]:
    """Cumulative ``(upper_bound, count)`` pairs, ascending, the last one ``(+Inf, total)``.

    ``positive``/``negative`` map a bucket index ``i`` to the count of values whose
    magnitude lies in ``(base**i, base**(i+1)]``.
    """
    if not MIN_SCALE <= scale <= MAX_SCALE:
        raise ValidationError(f"exponential histogram scale {scale} is outside [{MIN_SCALE}, {MAX_SCALE}]", field=f"{where}.scale")
    if not math.isfinite(zero_threshold) or zero_threshold < 0:
        raise ValidationError(f"zero threshold {zero_threshold!r} must be a finite number >= 0", field=f"{where}.zeroThreshold")
    target = min(scale, target_scale)
    shift = scale - target
    pos = _downscale(positive, shift)
    neg = _downscale(negative, shift)

    pairs: list[tuple[float, float]] = []
    if neg:
        # Most negative first: bucket i holds values in [-base**(i+1), -base**i).
        for i in reversed(_indexes(neg)):
            pairs.append((-_power_of_base(i, target), neg.get(i, 0.0)))
    if neg or zero_count:
        pairs.append((zero_threshold, zero_count))
    if pos:
        for i in _indexes(pos):
            pairs.append((_power_of_base(i + 1, target), pos.get(i, 0.0)))
    return _cumulate(pairs, total)


def explicit_to_cumulative(bounds: Sequence[float], counts: Sequence[float], total: float) -> list[tuple[float, float]]:
    """OTLP explicit buckets (``counts[i]`` in ``(bounds[i-1], bounds[i]]``, the last one
    unbounded) as cumulative pairs; the ``+Inf`` bucket is the total count."""
    if len(counts) == 0:
        return [(math.inf, total)]
    if len(counts) != len(bounds) + 1:
        raise ValidationError(
            f"histogram has {len(bounds)} explicit bounds and {len(counts)} bucket counts; there must be one more count than bounds",
            field="bucketCounts",
        )
    values = [float(b) for b in bounds]
    if any(math.isnan(b) for b in values) or any(b <= a for a, b in zip(values, values[1:])):
        raise ValidationError("histogram explicit bounds must be strictly ascending numbers", field="explicitBounds")
    return _cumulate(list(zip(values, counts[:-1])), total)


def _cumulate(pairs: list[tuple[float, float]], total: float) -> list[tuple[float, float]]:
    """Running sums; a bound that does not rise above the previous one (clamped powers,
    a zero threshold above the first positive bound) merges into it, so ``le`` stays
    strictly ascending. Anything at or beyond +Inf joins the +Inf bucket."""
    out: list[tuple[float, float]] = []
    running = 0.0
    for bound, count in pairs:
        if math.isnan(bound):
            raise ValidationError("a histogram bucket bound is NaN", field="explicitBounds")
        running += count
        if math.isinf(bound):
            continue  # -Inf holds nothing of its own; its count rides on to the next bound
        bound += 0.0  # -0.0 -> 0.0, so le is never "-0"
        if out and bound <= out[-1][0]:
            out[-1] = (out[-1][0], running)
        else:
            out.append((bound, running))
    out.append((math.inf, total))
    return out
