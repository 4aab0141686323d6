"""``observer-eye routing``: a tenant's notification routing as ``alertmanager.yml``.

* ``routing import -f alertmanager.yml``: replace the tenant's routing tree, receivers,
  inhibit rules and time intervals with the file's (``--drop-unsupported`` leaves out
  what is not supported instead of refusing the file; ``--revision N`` refuses unless
  the stored routing is still at revision N). Audited as the command line's user;
  running processes take it up at once (Redis pub/sub) or within
  ``OBSERVER_ROUTING_CACHE_S``.
* ``routing export [-o FILE]``: print it (secrets as placeholders; importing the file
  back keeps the stored secrets).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path



def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("routing", help="notification routing as alertmanager.yml: import, export")
    kinds = p.add_subparsers(dest="routing_command", required=True, metavar="COMMAND")
    imp = kinds.add_parser("import", help="replace a tenant's routing with an alertmanager.yml")
    imp.add_argument("-f", "--file", required=True, type=Path, help="the alertmanager.yml ('-': standard input)")
    imp.add_argument("--tenant", help="default: OBSERVER_TENANT")
    imp.add_argument("--revision", type=int, help="refuse unless the stored routing is at this revision")
    imp.add_argument("--drop-unsupported", action="store_true", help="leave out unsupported fields instead of refusing")
    imp.set_defaults(func=cmd_import)
    exp = kinds.add_parser("export", help="print a tenant's routing as alertmanager.yml")
    exp.add_argument("--tenant", help="default: OBSERVER_TENANT")
    exp.add_argument("-o", "--output", type=Path, help="write to this file instead of standard output")
    exp.set_defaults(func=cmd_export)
    return p


def _problems(exc: Exception) -> list[str]:
    errors = getattr(exc, "errors", None) or [exc]
    return [f"{e.field}: {e.message}" if getattr(e, "field", None) else str(getattr(e, "message", e)) for e in errors]


def cmd_import(args: argparse.Namespace) -> int:
    from domain.errors import Conflict, ValidationError
    from entrypoints.identity_cli import _container, _settings
    from services.identity import Actor
    from services.routing.resources import import_alertmanager

    settings = _settings()  # a database, never the in-memory repository (gone when this process exits)
    tenant = args.tenant or settings.tenant
    try:
        text = sys.stdin.read() if str(args.file) == "-" else args.file.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 1

    routing = _container(settings).routing()  # outside the event loop: it checks the migrations

    async def main() -> int:
        revision = args.revision if args.revision is not None else (await routing.snapshot(tenant)).revision
        try:
            new, dropped = await import_alertmanager(routing, tenant, Actor.cli(getpass.getuser()), text, revision,
                                                     drop_unsupported=args.drop_unsupported)
        except ValidationError as exc:
            print(f"{args.file}: nothing imported:\n  " + "\n  ".join(_problems(exc)), file=sys.stderr)
            return 1
        except Conflict as exc:
            print(f"{args.file}: nothing imported: {exc}", file=sys.stderr)
            return 1
        print(f"{args.file}: imported for tenant {tenant!r}: routing revision {new}")
        for field in dropped:
            print(f"  dropped (unsupported): {field}")
        return 0

    return asyncio.run(main())


def cmd_export(args: argparse.Namespace) -> int:
    from entrypoints.identity_cli import _container, _settings
    from services.routing.resources import export_alertmanager

    settings = _settings()

    routing = _container(settings).routing()

    async def main() -> str:
        text, _ = await export_alertmanager(routing, args.tenant or settings.tenant)
        return text

    text = asyncio.run(main())
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0
