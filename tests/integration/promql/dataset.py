"""The synthetic data the differential tests load into Prometheus and into our store.

Three hours (``START_MS`` .. ``END_MS``) of series that exercise what PromQL treats
specially: counters with resets (integer and fractional), gauges (random walks with a
few NaN and ±Inf samples), classic histograms (``le`` buckets, ``_sum``, ``_count``,
a reset), a series ended by a staleness marker and one that just stops, irregular
sample intervals, constant series (ties), timestamps as values (date functions) and
several label sets per name. Seeded, so every run loads the same samples.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

HOUR = 3_600_000
MINUTE = 60_000
START_MS = 1_699_999_200_000  # a whole hour, 2023-11-14T22:00:00Z
END_MS = START_MS + 3 * HOUR
STALE_NAN = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000002))[0]
BUCKETS = ("0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf")


@dataclass(frozen=True)
class Series:
    name: str
    labels: dict[str, str]
    timestamps: np.ndarray  # int64 ms, ascending
    values: np.ndarray  # float64

    @property
    def all_labels(self) -> dict[str, str]:
        return {"__name__": self.name, **self.labels}


def _scrapes(rng: np.random.Generator, interval_ms: int = 15_000, start: int = START_MS, end: int = END_MS,
             jitter_ms: int = 0) -> np.ndarray:
    phase = int(rng.integers(0, interval_ms // 1000)) * 1000
    ts = np.arange(start + phase, end, interval_ms, dtype=np.int64)
    if jitter_ms:
        ts = ts + rng.integers(-jitter_ms, jitter_ms + 1, ts.size)
    return ts


def _counter(rng: np.random.Generator, n: int, scale: float, resets: int, fractional: bool) -> np.ndarray:
    steps = rng.poisson(scale, n).astype(np.float64)
    if fractional:
        steps = steps * rng.uniform(0.5, 1.5, n)
    values = np.cumsum(steps) + rng.integers(0, 100)
    for at in sorted(rng.choice(np.arange(n // 10, n), resets, replace=False)):
        values[at:] -= values[at] - rng.integers(0, 3)  # back near zero: a restart
    return values


def build() -> list[Series]:
    rng = np.random.default_rng(20231114)
    out: list[Series] = []

    for job in ("api", "web"):
        for instance in ("i1", "i2", "i3"):
            for code in ("200", "500"):
                if job == "web" and code == "500" and instance == "i3":
                    continue
                ts = _scrapes(rng, jitter_ms=40 if instance == "i2" else 0)
                scale = 20 if code == "200" else 1.5
                values = _counter(rng, ts.size, scale, resets=int(rng.integers(0, 3)), fractional=False)
                out.append(Series("http_requests_total", {"job": job, "instance": instance, "code": code}, ts, values))

    for mode in ("idle", "user", "system"):
        for cpu in ("0", "1"):
            ts = _scrapes(rng)
            values = _counter(rng, ts.size, 3.0, resets=0, fractional=True) / 7
            out.append(Series("node_cpu_seconds_total", {"cpu": cpu, "mode": mode, "instance": "i1"}, ts, values))

    for instance, zone in (("i1", "a"), ("i1", "b"), ("i2", "a"), ("i3", "special")):
        ts = _scrapes(rng, interval_ms=30_000)
        values = np.round(40 + np.cumsum(rng.normal(0, 0.7, ts.size)), 2)
        if zone == "special":
            values[rng.choice(ts.size, 6, replace=False)] = np.nan
            values[rng.choice(ts.size, 3, replace=False)] = np.inf
            values[rng.choice(ts.size, 3, replace=False)] = -np.inf
        out.append(Series("node_temperature_celsius", {"instance": instance, "zone": zone}, ts, values))

    for job in ("api", "web"):
        ts = _scrapes(rng)
        n = ts.size
        per_bucket = rng.poisson(3 if job == "api" else 1, (len(BUCKETS), n)).astype(np.float64)
        counts = np.cumsum(np.cumsum(per_bucket, axis=0), axis=1)  # cumulative over le, then over time
        total = np.cumsum(rng.uniform(0.1, 2.0, n) * per_bucket.sum(axis=0))
        if job == "api":
            cut = n * 7 // 12  # a restart: every counter of the histogram starts over
            counts[:, cut:] -= counts[:, cut - 1:cut]
            total[cut:] -= total[cut - 1]
        for le, row in zip(BUCKETS, counts):
            out.append(Series("request_duration_seconds_bucket", {"job": job, "le": le}, ts, row))
        out.append(Series("request_duration_seconds_count", {"job": job}, ts, counts[-1].copy()))
        out.append(Series("request_duration_seconds_sum", {"job": job}, ts, np.round(total, 3)))

    # Ended by a staleness marker, absent 30 minutes, back until the end.
    ts1 = _scrapes(rng, end=START_MS + 50 * MINUTE)
    ts2 = _scrapes(rng, start=START_MS + 80 * MINUTE)
    ts = np.concatenate([ts1, [ts1[-1] + 15_000], ts2])
    values = np.concatenate([np.ones(ts1.size), [STALE_NAN], np.ones(ts2.size)])
    out.append(Series("flappy_up", {"instance": "f1"}, ts, values))
    ts = _scrapes(rng, end=START_MS + 2 * HOUR)  # just stops: only the lookback ends it
    out.append(Series("flappy_up", {"instance": "f2"}, ts, np.zeros(ts.size)))

    gaps = rng.integers(2_000, 90_000, 400)
    ts = START_MS + np.cumsum(gaps)
    ts = ts[ts < END_MS]
    out.append(Series("irregular_gauge", {"source": "x"}, ts, np.round(rng.normal(0, 10, ts.size), 3)))

    for ident, value in (("a", 5.0), ("b", 5.0), ("c", 7.0), ("d", -2.5)):
        ts = _scrapes(rng, interval_ms=60_000)
        out.append(Series("const_metric", {"id": ident, "group": "g1" if ident in "ab" else "g2"}, ts, np.full(ts.size, value)))

    ts = _scrapes(rng, interval_ms=60_000)
    moments = np.array([1709251199, 1704067200, 951782400, 1700000000, -86400], dtype=np.float64)  # leap days, epoch...
    for i, job in enumerate(("backup", "report")):
        out.append(Series("batch_last_success_timestamp_seconds", {"job": job}, ts, np.full(ts.size, moments[i * 2])))
    out.append(Series("batch_last_success_timestamp_seconds", {"job": "old"}, ts, np.full(ts.size, moments[4])))

    for path, method in (("/api/v1/users", "GET"), ("/api/v1/users", "POST"), ("/healthz", "GET")):
        ts = _scrapes(rng)
        values = _counter(rng, ts.size, 4.0, resets=0, fractional=False)
        out.append(Series("path_requests_total", {"path": path, "method": method, "job": "api"}, ts, values))
    return out


SERIES = build()
