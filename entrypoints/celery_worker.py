"""``observer-eye worker celery``: a Celery worker delivering notifications.

``cli.py`` owns the ``worker`` command (other workers, e.g. Temporal's, hang under it
too) and calls ``register_worker_command(worker_subparsers)`` to add ``celery``.
"""

from __future__ import annotations

import argparse


def register_worker_command(worker_subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = worker_subparsers.add_parser("celery", help="a Celery worker delivering notifications (OBSERVER_CELERY_*)")
    parser.add_argument("--pool", choices=["threads", "prefork", "solo"], default="threads",
                        help="deliveries wait on the network: threads (default) suit them")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--loglevel", default="INFO")
    parser.add_argument("--hostname", help="the worker's node name (default: celery@<host>)")
    parser.set_defaults(func=cmd_celery_worker)
    return parser


def cmd_celery_worker(args: argparse.Namespace) -> int:
    from entrypoints.celery_app import app, settings  # builds the container: only when run

    argv = ["worker", f"--pool={args.pool}", f"--concurrency={args.concurrency}", f"--loglevel={args.loglevel}",
            "-Q", settings.celery_queue]
    if args.hostname:
        argv += ["--hostname", args.hostname]
    app.worker_main(argv)
    return 0
