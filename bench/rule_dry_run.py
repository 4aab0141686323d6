"""Rule dry run: how long "would this rule have fired in the last 24 h?" takes.

Stores ``--series`` series of one sample every ``--every-s`` seconds over ``--hours``
hours (a sine with noise, and now and then a spike) in the in-memory and the SQLite
sample store, then dry-runs one rule of each kind over the whole range through
``RuleDryRun`` (services/rule_dry_run.py: counting, reading, and the replay through the
evaluator's own step in a worker thread). Each figure is the median of ``--repeat``
runs; one line per store and kind on stdout.

    .venv/bin/python bench/rule_dry_run.py [--series 100] [--every-s 60] [--hours 24] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.memory.samples import MemorySampleStore  # noqa: E402
from adapters.sqlite_store import SqliteSampleStore  # noqa: E402
from domain.alerts.rules import AbsenceRule, AnomalyRule, ThresholdRule  # noqa: E402
from domain.metrics.batch import SampleBatch, SeriesSamples  # noqa: E402
from domain.metrics.samples import Sample  # noqa: E402
from domain.metrics.series import SeriesKey  # noqa: E402
from services.rule_dry_run import DryRunLimits, RuleDryRun  # noqa: E402

NOW = 1_800_000_000_000


class _Clock:
    def now_ms(self) -> int:
        return NOW


RULES = {
    "threshold": ThresholdRule(id="t", tenant="bench", name="HighCpu", selector="cpu", aggregation="avg",
                               window_ms=300_000, comparison=">", threshold=0.9, for_ms=300_000),
    "absence": AbsenceRule(id="a", tenant="bench", name="CpuGone", selector="cpu", absent_for_ms=600_000),
    "anomaly": AnomalyRule(id="n", tenant="bench", name="CpuOdd", selector="cpu", detector="ewma", level=0.99),
}


def batches(series: int, every_ms: int, hours: float) -> list[SampleBatch]:
    rng = random.Random(7)
    start = NOW - int(hours * 3_600_000)
    out = []
    for s in range(series):
        key = SeriesKey.of("bench", "cpu", {"host": f"h{s:04d}"})
        samples = []
        for i, t in enumerate(range(start + every_ms, NOW + 1, every_ms)):
            value = 0.5 + 0.3 * math.sin(i / 60) + rng.gauss(0, 0.03) + (0.6 if rng.random() < 0.002 else 0.0)
            samples.append(Sample(t, value))
        out.append(SampleBatch("bench", (SeriesSamples(key, tuple(samples)),)))
    return out


async def measure(store, hours: float, repeat: int) -> dict[str, tuple[float, int, int]]:
    dry = RuleDryRun(store, _Clock(), DryRunLimits(max_seconds=600.0))
    out = {}
    for kind, rule in RULES.items():
        times, result = [], None
        for _ in range(repeat):
            began = time.perf_counter()
            result = await dry.run(rule, int(hours * 3_600_000))
            times.append((time.perf_counter() - began) * 1000)
        assert result is not None
        out[kind] = (statistics.median(times), result.summary.samples, result.summary.transitions)
    return out


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--series", type=int, default=100)
    p.add_argument("--every-s", type=float, default=60.0)
    p.add_argument("--hours", type=float, default=24.0)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    data = batches(args.series, int(args.every_s * 1000), args.hours)
    total = sum(len(b.series[0].samples) for b in data)
    print(f"# {args.series} series, one sample every {args.every_s:g} s, {args.hours:g} h: {total} samples",
          file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = SqliteSampleStore(Path(tmp) / "samples.db")
        stores = {"memory": MemorySampleStore(), "sqlite": sqlite}
        for name, store in stores.items():
            await store.write(data)
            flush = getattr(store, "flush", None)
            if flush is not None:
                await flush()
            for kind, (ms, samples, transitions) in (await measure(store, args.hours, args.repeat)).items():
                print(f"rule dry run {name:6s} {kind:9s} {ms:9.1f} ms  ({samples} samples, {transitions} transitions, "
                      f"{args.series} series, {args.hours:g} h)")
        await sqlite.close()


if __name__ == "__main__":
    asyncio.run(main())
