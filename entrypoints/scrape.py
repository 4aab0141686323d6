"""``observer-eye scrape``: the scraper as its own process (the production layout).

It reads the targets of ``OBSERVER_SCRAPE_CONFIG`` (or ``--config``), scrapes each at
its interval and publishes the samples to the telemetry topic through the ingest
service, exactly as an ingest request would be: the writer and evaluator consumers
(``observer-eye consume``) take it from there. That needs a bus other processes can
read, so it refuses the in-process bus: with it, `observer-eye run` scrapes inside the
API process instead. SIGTERM (or SIGINT) stops it after the scrapes in flight.

Several scraper processes need disjoint configuration files (one file is not sharded
among processes yet): two processes with the same targets would ingest each series
twice, at two different timestamps. ``python -m entrypoints.scrape`` works as well.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from entrypoints.settings import Settings
from entrypoints.signals import stop_on_termination

log = logging.getLogger("observer_eye.scrape")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``scrape`` on the ``observer-eye`` command line (entrypoints/cli.py)."""
    p = subparsers.add_parser("scrape", help="scrape Prometheus/OpenMetrics targets into the telemetry topic")
    p.add_argument("--config", type=Path, help="JSON file of targets (default: OBSERVER_SCRAPE_CONFIG)")
    p.set_defaults(func=cmd_scrape)
    return p


def cmd_scrape(args: argparse.Namespace) -> int:
    settings = Settings(**({"scrape_config": args.config} if args.config else {}))
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if settings.bus == "memory":
        print("observer-eye scrape: the in-process bus reaches no other process; set OBSERVER_BUS=kafka, "
              "or let `observer-eye run` scrape (it does when OBSERVER_SCRAPE_CONFIG is set)", file=sys.stderr)
        return 2
    if settings.scrape_config is None:
        print("observer-eye scrape: no targets: give --config or set OBSERVER_SCRAPE_CONFIG (docs/streaming.md)",
              file=sys.stderr)
        return 2
    from domain.errors import ValidationError
    from entrypoints.container import build_container

    container = build_container(settings)
    try:
        container.scrape_config()
    except ValidationError as exc:
        print(f"observer-eye scrape: {settings.scrape_config}: {exc.message} (at {exc.field})", file=sys.stderr)
        return 2
    return asyncio.run(run_scraper(container))


async def run_scraper(container, stop: asyncio.Event | None = None) -> int:
    """Scrape until ``stop`` is set or a termination signal arrives."""
    from entrypoints.container import close_adapters

    stop = stop or asyncio.Event()
    stop_on_termination(stop)
    settings = container.settings()
    try:
        if settings.bus == "kafka":
            await container.bus().start()  # fail fast if the broker is not there
        await container.scraper().run(stop)
    finally:
        await close_adapters(container)
    log.info("scraper stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="observer-eye")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["scrape", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
