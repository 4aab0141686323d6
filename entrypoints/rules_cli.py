"""``observer-eye rules``: PromQL rule groups from the command line.

* ``rules check FILE...``: check Prometheus rule files as ``promtool check rules``
  does, without storing anything (exit 1 if any has a problem, each named);
* ``rules import FILE...``: store every group of the files for ``--tenant``
  (replacing groups of the same names; a file with any problem stores nothing);
* ``rules export``: print the tenant's groups as a rule file;
* ``rules run``: evaluate the groups until SIGTERM, the process to run with the
  Kafka bus (the embedded stack evaluates them in the API process). Several
  processes share the groups with ``--shard I/N`` (I in 0..N-1).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from entrypoints.settings import Settings
from entrypoints.signals import stop_on_termination

log = logging.getLogger("observer_eye.rules")


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("rules", help="PromQL rule groups: check, import, export, run")
    kinds = p.add_subparsers(dest="rules_command", required=True, metavar="COMMAND")
    check = kinds.add_parser("check", help="check Prometheus rule files (as promtool check rules)")
    check.add_argument("files", nargs="+", type=Path)
    check.set_defaults(func=cmd_check)
    imp = kinds.add_parser("import", help="store the groups of Prometheus rule files")
    imp.add_argument("files", nargs="+", type=Path)
    imp.add_argument("--tenant", help="the tenant the groups belong to (default: OBSERVER_TENANT)")
    imp.set_defaults(func=cmd_import)
    exp = kinds.add_parser("export", help="print a tenant's groups as a Prometheus rule file")
    exp.add_argument("--tenant", help="default: OBSERVER_TENANT")
    exp.set_defaults(func=cmd_export)
    run = kinds.add_parser("run", help="evaluate the rule groups until SIGTERM")
    run.add_argument("--shard", default=None, metavar="I/N", help="evaluate the groups of shard I of N")
    run.set_defaults(func=cmd_run)
    return p


def _problems(exc: Exception) -> list[str]:
    errors = getattr(exc, "errors", None) or [exc]
    return [f"{e.field}: {e.message}" if getattr(e, "field", None) else str(getattr(e, "message", e)) for e in errors]


def cmd_check(args: argparse.Namespace) -> int:
    from domain.errors import ValidationError
    from services.rule_files import load_groups

    failed = False
    for path in args.files:
        print(f"Checking {path}")
        try:
            groups = load_groups(path.read_text(), "check", path.name)
        except (OSError, UnicodeDecodeError) as exc:
            print(f"  FAILED:\n{exc}\n", file=sys.stderr)
            failed = True
            continue
        except ValidationError as exc:
            print("  FAILED:\n" + "\n".join(_problems(exc)) + "\n", file=sys.stderr)
            failed = True
            continue
        print(f"  SUCCESS: {sum(len(g.rules) for g in groups)} rules found\n")
    return 1 if failed else 0


def _container(settings: Settings):
    from entrypoints.container import build_container

    return build_container(settings)


def cmd_import(args: argparse.Namespace) -> int:
    from domain.errors import ValidationError

    settings = Settings()
    tenant = args.tenant or settings.tenant
    texts = []
    for path in args.files:
        try:
            texts.append((path, path.read_text()))
        except (OSError, UnicodeDecodeError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            return 1

    async def main() -> int:
        container = _container(settings)
        service = container.rule_groups()
        status = 0
        for path, text in texts:
            try:
                groups = await service.import_file(tenant, text, path.name)
            except ValidationError as exc:
                print(f"{path}: nothing imported:\n  " + "\n  ".join(_problems(exc)), file=sys.stderr)
                status = 1
                continue
            print(f"{path}: imported {len(groups)} groups ({sum(len(g.rules) for g in groups)} rules) "
                  f"for tenant {tenant!r}: {', '.join(g.name for g in groups)}")
        return status

    return asyncio.run(main())


def cmd_export(args: argparse.Namespace) -> int:
    settings = Settings()

    async def main() -> str:
        return await _container(settings).rule_groups().export(args.tenant or settings.tenant)

    sys.stdout.write(asyncio.run(main()))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    overrides: dict = {}
    if args.shard:
        index, _, count = args.shard.partition("/")
        if not (index.isdigit() and count.isdigit() and int(index) < int(count)):
            print(f"observer-eye rules run: --shard takes I/N with 0 <= I < N, got {args.shard!r}", file=sys.stderr)
            return 2
        overrides = {"rules_shard": int(index), "rules_shards": int(count)}
    settings = Settings(**overrides)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return asyncio.run(run(_container(settings)))


async def run(container, stop: asyncio.Event | None = None) -> int:
    """Evaluate the rule groups until ``stop`` is set or a termination signal arrives."""
    from entrypoints.container import close_adapters

    stop = stop or asyncio.Event()
    stop_on_termination(stop)
    settings = container.settings()
    if settings.bus == "kafka":
        await container.bus().start()
    log.info("PromQL rules: shard %d of %d (bus %s)", settings.rules_shard, settings.rules_shards, settings.bus)
    manager = container.rule_manager()
    # Groups changed through the API or CLI are taken up at once (not at the next refresh).
    watcher = asyncio.create_task(container.config_watcher().run(stop), name="config-changes")
    try:
        await manager.run(stop)
    finally:
        stop.set()
        await asyncio.gather(watcher, return_exceptions=True)
        await close_adapters(container)
    return 0
