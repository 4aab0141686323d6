"""``observer-eye dead-letters list|replay``: the messages the consumer groups gave up on
(services/dead_letters.py), read from and replayed onto the configured bus.

It acts as the operator, as the API's ``/api/v1/dead-letters`` does for platform
administrators. With the in-process bus there is nothing to read from
another process: it refuses (exit 2), as ``consume`` does.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from datetime import datetime, timezone

from entrypoints.settings import Settings


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("dead-letters", help="list or replay the messages the consumers gave up on")
    actions = p.add_subparsers(dest="dead_letters_action", required=True, metavar="ACTION")
    ls = actions.add_parser("list", help="newest first")
    ls.add_argument("--group", help="writer, evaluator or pipeline")
    ls.add_argument("--topic", help="telemetry or alerts")
    ls.add_argument("--pending", action="store_true", help="only those not replayed yet")
    ls.add_argument("--limit", type=int, default=100)
    ls.add_argument("--json", action="store_true", help="one JSON object per line")
    ls.set_defaults(func=cmd_dead_letters)
    replay = actions.add_parser("replay", help="publish messages again where they came from")
    replay.add_argument("ids", nargs="+", metavar="ID", help="as listed: group/topic/partition/offset")
    replay.set_defaults(func=cmd_dead_letters)
    return p


def _when(ms: int | None) -> str:
    return "-" if ms is None else datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    from entrypoints.container import build_container, close_adapters

    container = build_container(settings)
    letters = container.dead_letters()
    try:
        if args.dead_letters_action == "list":
            found = await letters.list(group=args.group, topic=args.topic, include_replayed=not args.pending,
                                       limit=args.limit)
            for d in found:
                if args.json:
                    print(json.dumps(d.summary()))
                else:
                    replayed = f" replayed {_when(d.replayed_at_ms)} by {d.replayed_by}" if d.replayed_at_ms else ""
                    print(f"{d.id}  {_when(d.at_ms)}  {d.tries} tries  {len(d.value)} bytes  {d.error}{replayed}")
            return 0
        actor = f"cli:{getpass.getuser()}"
        for ident in args.ids:
            d = await letters.replay(ident, actor)
            print(f"replayed {d.id} to {d.topic}[{d.partition}]")
        return 0
    finally:
        await close_adapters(container)


def cmd_dead_letters(args: argparse.Namespace) -> int:
    settings = Settings()
    if settings.bus == "memory":
        print("observer-eye dead-letters: the in-process bus lives in the API's process; set OBSERVER_BUS=kafka "
              "(or use GET /api/v1/dead-letters)", file=sys.stderr)
        return 2
    from domain.errors import DomainError

    try:
        return asyncio.run(_run(settings, args))
    except DomainError as exc:
        print(f"observer-eye dead-letters: {exc}", file=sys.stderr)
        return 1
