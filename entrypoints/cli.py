"""``observer-eye``: the command line of every process."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from entrypoints.settings import Settings


def _logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")


def cmd_run(args: argparse.Namespace) -> int:
    """The embedded stack: API, consumers, workers, admin and the local agent in one process."""
    from entrypoints.embedded import embedded_settings, run

    overrides: dict = {}
    if args.port:
        overrides["port"] = args.port
    if args.no_agent:
        overrides["agent"] = False
    return run(embedded_settings(**overrides))


def cmd_api(args: argparse.Namespace) -> int:
    """The API alone, on the adapters the environment selects (production: one of many
    stateless replicas; consumers and workers run as their own processes).

    ``--workers N`` (``OBSERVER_API_WORKERS``) runs N processes on the one port: the
    ingest hot path is CPU-bound Python, so one process uses one core. The identity
    bootstrap (tenant, admin, API key file) runs once here first, so the workers'
    own bootstraps find everything in place and never race to write the key."""
    import uvicorn

    from entrypoints.container import build_container
    from entrypoints.runtime import bootstrap_identity, build_app

    if args.port:
        os.environ["OBSERVER_PORT"] = str(args.port)  # the workers read their settings from the environment
    settings = Settings(agent=False)
    _logging(settings.log_level)
    workers = args.workers or settings.api_workers
    if workers > 1 and settings.repository == "memory":
        print("observer-eye api: --workers needs a repository the processes share (OBSERVER_REPOSITORY=django "
              "with OBSERVER_DATABASE_URL); each process would otherwise have users and API keys of its own",
              file=sys.stderr)
        return 2
    if workers > 1:
        asyncio.run(_bootstrap_once(build_container, bootstrap_identity, settings))
        uvicorn.run("entrypoints.cli:api_app", factory=True, workers=workers, host=settings.host, port=settings.port,
                    log_level=settings.log_level.lower())
        return 0
    app = build_app(build_container(settings))
    tune_gc()
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower())
    return 0


async def _bootstrap_once(build_container, bootstrap_identity, settings: Settings) -> None:
    from entrypoints.container import close_adapters

    container = build_container(settings)
    try:
        await bootstrap_identity(container, with_agent=False)
    finally:
        await close_adapters(container)


def api_app():
    """One ``--workers`` process' app (uvicorn calls this in each worker)."""
    from entrypoints.container import build_container
    from entrypoints.runtime import build_app

    settings = Settings(agent=False)
    _logging(settings.log_level)
    app = build_app(build_container(settings))
    tune_gc()
    return app


def tune_gc() -> None:
    """Fewer cyclic collections for the ingest processes (ADR 0013): start-up objects
    are frozen out of every later collection, and the youngest generation is collected
    after 50,000 allocations rather than 700. Ingest makes few reference cycles; the
    default threshold made the collector rescan each request's objects several times."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


AGENT_KEY_ENV = "OBSERVER_AGENT_KEY"
AGENT_KEY_FILE_ENV = "OBSERVER_AGENT_KEY_FILE"


class AgentKeyError(Exception):
    """No usable key: says where the agent looked."""


def agent_key(key_file: str | None, environ: Mapping[str, str]) -> str:
    """The agent's API key: from ``--key-file``, else the file ``OBSERVER_AGENT_KEY_FILE``
    names, else ``OBSERVER_AGENT_KEY``. Never from the command line: argv is readable by
    every user of the host (``ps``, ``/proc/<pid>/cmdline``)."""
    path = key_file or environ.get(AGENT_KEY_FILE_ENV)
    if path:
        try:
            key = Path(path).read_text().strip()
        except OSError as exc:
            raise AgentKeyError(f"cannot read the key file {path}: {exc.strerror}") from None
        if not key:
            raise AgentKeyError(f"the key file {path} is empty")
        return key
    key = environ.get(AGENT_KEY_ENV, "").strip()
    if not key:
        raise AgentKeyError(f"no API key: give --key-file FILE, or set {AGENT_KEY_FILE_ENV} (a file) or {AGENT_KEY_ENV}")
    return key


def cmd_agent(args: argparse.Namespace) -> int:
    """Send this host's metrics to an Observer-Eye API."""
    from adapters.agent.sender import IngestSender, run_agent
    from adapters.system.host import HostCollector

    if args.refused_api_key is not None:
        print("observer-eye agent: --api-key is not accepted: a key on the command line is visible to every user "
              f"of this host; use --key-file FILE, or the {AGENT_KEY_FILE_ENV} or {AGENT_KEY_ENV} environment variable",
              file=sys.stderr)
        return 2
    try:
        key = agent_key(args.key_file, os.environ)
    except AgentKeyError as exc:
        print(f"observer-eye agent: {exc}", file=sys.stderr)
        return 2
    _logging("INFO")

    async def main() -> None:
        stop = asyncio.Event()
        await run_agent(HostCollector().collect, IngestSender(args.url, key), args.interval, stop)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    return 0


def cmd_openapi(args: argparse.Namespace) -> int:
    import json

    from entrypoints.container import build_container
    from entrypoints.runtime import build_app

    app = build_app(build_container(Settings(agent=False)))
    print(json.dumps(app.openapi(), indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="observer-eye", description="Observability and incident response")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="the embedded stack: API, consumers, local agent")
    run.add_argument("--port", type=int)
    run.add_argument("--no-agent", action="store_true", help="do not collect this host's metrics")
    run.set_defaults(func=cmd_run)

    api = sub.add_parser("api", help="the API on the configured adapters (consumers in-process only on the memory bus)")
    api.add_argument("--workers", type=int, default=0,
                     help="API processes sharing the port (default OBSERVER_API_WORKERS, 1); about one per core")
    api.add_argument("--port", type=int)
    api.set_defaults(func=cmd_api)

    agent = sub.add_parser("agent", help="send this host's metrics to an Observer-Eye API")
    agent.add_argument("--url", default="http://127.0.0.1:8400")
    agent.add_argument("--key-file", help=f"file holding the API key (or set {AGENT_KEY_FILE_ENV} or {AGENT_KEY_ENV})")
    # Gone: refused with an explanation rather than "unrecognized arguments".
    agent.add_argument("--api-key", dest="refused_api_key", nargs="?", const="", help=argparse.SUPPRESS)
    agent.add_argument("--interval", type=float, default=5.0)
    agent.set_defaults(func=cmd_agent, uses_data_dir=False)

    openapi = sub.add_parser("openapi", help="print the OpenAPI document")
    openapi.set_defaults(func=cmd_openapi, uses_data_dir=False)

    from entrypoints import (
        admin, anomaly_cli, celery_worker, consume, dead_letters_cli, identity_cli, rules_cli, scrape,
        temporal_worker,
    )

    identity_cli.add_parsers(sub)  # users, teams, keys, tenants, audit
    consume.add_parser(sub)
    dead_letters_cli.add_parser(sub)
    rules_cli.add_parser(sub)
    scrape.add_parser(sub)
    admin.add_parser(sub)
    anomaly_cli.add_parser(sub)
    from entrypoints import routing_cli

    routing_cli.add_parser(sub)  # notification routing as alertmanager.yml
    from entrypoints import oncall_cli

    oncall_cli.add_parser(sub)  # escalation policies, schedules, who is on call
    worker = sub.add_parser("worker", help="run a background worker")
    worker_kinds = worker.add_subparsers(dest="worker_kind", required=True, metavar="KIND")
    temporal_worker.add_parser(sub)
    celery_worker.register_worker_command(worker_kinds)

    args = parser.parse_args(argv)
    if getattr(args, "uses_data_dir", True):
        from entrypoints.data_dir import prepare_data_dir

        prepare_data_dir(Settings().data_dir)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
