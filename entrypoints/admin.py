"""``observer-eye admin``: Django's admin for operators on :8000, and the database chores.

    observer-eye admin [serve] [--host 127.0.0.1] [--port 8000] [--migrate]
    observer-eye admin migrate
    observer-eye admin create-superuser --username NAME [--email ADDR]   # password: $OBSERVER_ADMIN_PASSWORD
                                                                        # (or a prompt)
    observer-eye admin manage <django command> [args...]                # e.g. makemigrations --check --dry-run

The database is the Django adapter's (``OBSERVER_DATABASE_URL``, else ``DATABASE_URL``,
else SQLite in the data directory). Also runnable as ``python -m entrypoints.admin``.
"""

from __future__ import annotations

import argparse
import logging
import sys

from entrypoints.settings import Settings


def _setup() -> Settings:
    from entrypoints.container import setup_database

    settings = Settings()
    setup_database(settings)
    return settings


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _setup()
    from adapters.django_orm import migrate, pending_migrations
    from adapters.django_orm.asgi import admin_application

    if args.migrate:
        migrate(verbosity=1)
    elif pending := pending_migrations():
        print(f"observer-eye admin: {len(pending)} migrations are not applied; run `observer-eye admin migrate`",
              file=sys.stderr, flush=True)
    host = args.host or settings.admin_host
    url = f"http://{host}:{args.port}/admin/"
    print(f"Observer-Eye admin on {url}  (first account: observer-eye admin create-superuser)", flush=True)
    uvicorn.run(admin_application(), host=host, port=args.port, log_level=settings.log_level.lower(),
                lifespan="off")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    _setup()
    from adapters.django_orm import migrate

    migrate(verbosity=args.verbosity)
    return 0


def cmd_create_superuser(args: argparse.Namespace) -> int:
    _setup()
    from django.core.management import call_command
    from django.core.management.base import CommandError

    options = ["--username", args.username, "--email", args.email, "--password-env", args.password_env]
    try:
        call_command("create_first_superuser", *options, *(["--no-input"] if args.no_input else []))
    except CommandError as exc:
        print(f"observer-eye admin create-superuser: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    _setup()
    from django.core.management import ManagementUtility

    try:
        ManagementUtility(["observer-eye admin manage", *args.django_args]).execute()
    except SystemExit as exc:  # Django's commands exit with a status (e.g. makemigrations --check)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``admin`` and its subcommands on the CLI's subparsers."""
    serve_opts = argparse.ArgumentParser(add_help=False)
    serve_opts.add_argument("--host", default=None, help="default: OBSERVER_ADMIN_HOST (127.0.0.1)")
    serve_opts.add_argument("--port", type=int, default=8000)
    serve_opts.add_argument("--migrate", action="store_true", help="apply migrations before serving")
    admin = subparsers.add_parser(
        "admin", parents=[serve_opts], help="Django admin for operators (:8000) and database management"
    )
    admin.set_defaults(func=cmd_serve)  # `observer-eye admin [--port N]` serves
    sub = admin.add_subparsers(dest="admin_command")

    sub.add_parser("serve", parents=[serve_opts], help="serve the admin (default)").set_defaults(func=cmd_serve)

    mig = sub.add_parser("migrate", help="create or update the tables (from empty, too)")
    mig.add_argument("--verbosity", type=int, default=1)
    mig.set_defaults(func=cmd_migrate)

    su = sub.add_parser("create-superuser", help="create the first admin account (no-op if one exists)")
    su.add_argument("--username", required=True)
    su.add_argument("--email", default="")
    su.add_argument("--password-env", default="OBSERVER_ADMIN_PASSWORD", help="variable holding the password")
    su.add_argument("--no-input", action="store_true", help="never prompt")
    su.set_defaults(func=cmd_create_superuser)

    manage = sub.add_parser("manage", help="run a Django management command", add_help=False)
    manage.add_argument("django_args", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return admin


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(prog="observer-eye")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["admin", *(sys.argv[1:] if argv is None else argv)])
    from entrypoints.data_dir import prepare_data_dir

    prepare_data_dir(Settings().data_dir)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
