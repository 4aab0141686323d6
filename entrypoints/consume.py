"""``observer-eye consume --group writer|evaluator|pipeline``: one bus consumer group
member as its own process (the production layout: with Kafka the API runs no consumers).

Scale a group by starting more processes with the same ``--group``: Kafka spreads the
partitions over them and moves them when one comes or goes. SIGTERM (or SIGINT) stops
it gracefully: the current batch finishes, the sample store flushes, the member leaves
its group so the others take over at once, and the process exits 0. A SIGKILL loses
nothing either: the writer resumes at the sample store's offsets, the others at their
last bus commit.

``python -m entrypoints.consume --group writer`` works as well (the same arguments).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from entrypoints.settings import Settings
from entrypoints.signals import stop_on_termination

GROUPS = ("writer", "evaluator", "pipeline")
log = logging.getLogger("observer_eye.consume")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``consume`` on the ``observer-eye`` command line (entrypoints/cli.py)."""
    p = subparsers.add_parser("consume", help="run one bus consumer group member until SIGTERM")
    p.add_argument("--group", choices=GROUPS, required=True, help="which consumer group this process joins")
    p.set_defaults(func=cmd_consume)
    return p


def cmd_consume(args: argparse.Namespace) -> int:
    settings = Settings()
    if settings.bus == "memory":
        print("observer-eye consume: the in-process bus has no other processes to read from; "
              "set OBSERVER_BUS=kafka (or use `observer-eye run`, which runs the consumers in the API)",
              file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    from entrypoints.container import build_container

    from entrypoints.cli import tune_gc

    container = build_container(settings)
    tune_gc()
    return asyncio.run(run_group(container, args.group))


async def run_group(container, group: str, stop: asyncio.Event | None = None) -> int:
    """Run ``group``'s service until ``stop`` is set or a termination signal arrives."""
    from entrypoints.container import close_adapters

    stop = stop or asyncio.Event()
    stop_on_termination(stop)
    service = {"writer": container.writer, "evaluator": container.evaluator, "pipeline": container.pipeline}[group]()
    # The writer also keeps its store: retention and compaction (services/sample_maintenance.py);
    # the pipeline relays the calls it leaves for the incidents' workflows (and incident events).
    if group == "writer":
        maintenance = container.sample_maintenance()
        upkeep = asyncio.create_task(maintenance.run(stop), name="sample-maintenance") if maintenance is not None else None
    elif group == "pipeline":
        upkeep = asyncio.create_task(container.outbox_relay().run(stop), name="outbox-relay")
    else:
        upkeep = None
    # Configuration changed through the API reloads what this consumer cached (routing, ...).
    watcher = asyncio.create_task(container.config_watcher().run(stop), name="config-changes")
    log.info("consumer group %r starting (bus %s)", group, container.settings().bus)
    try:
        await service.run(stop)
    finally:
        stop.set()  # the consumer has ended (stopped or failed): so do the upkeep and the watcher
        await asyncio.gather(*(t for t in (upkeep, watcher) if t is not None), return_exceptions=True)
        await close_adapters(container)
    log.info("consumer group %r stopped", group)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="observer-eye")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["consume", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
