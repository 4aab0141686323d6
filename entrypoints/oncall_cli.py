"""``observer-eye oncall``: escalation policies and on-call schedules from the command line.

* ``oncall policies|schedules list``: the tenant's resources with their versions;
* ``oncall policies|schedules apply -f FILE``: create each document of a JSON or YAML
  file (one document or a list), or replace the stored one of the same id (at the version
  read just before: a change made in between is refused, not overwritten);
* ``oncall policies|schedules delete ID [--version N]``;
* ``oncall now [--schedule ID] [--user REF] [--at TIME]``: who is on call now and next.

Changes are audited as ``cli:<os user>`` and announced like the API's (docs/adr/0019-on-call.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from entrypoints.identity_cli import _actor, _container, _settings, _table

KINDS = {"policies": "policy", "schedules": "schedule"}


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("oncall", help="escalation policies, on-call schedules, who is on call")
    commands = p.add_subparsers(dest="oncall_command", required=True, metavar="COMMAND")
    for plural in KINDS:
        kind = commands.add_parser(plural, help=f"{plural}: list, apply, delete")
        actions = kind.add_subparsers(dest="oncall_action", required=True, metavar="ACTION")
        ls = actions.add_parser("list", help=f"the tenant's {plural}")
        ls.set_defaults(func=cmd_list, plural=plural)
        apply = actions.add_parser("apply", help="create or replace from a JSON or YAML file")
        apply.add_argument("-f", "--file", required=True, type=Path, help="one document or a list of them")
        apply.set_defaults(func=cmd_apply, plural=plural)
        delete = actions.add_parser("delete", help="delete one")
        delete.add_argument("id")
        delete.add_argument("--version", type=int, help="refuse unless still at this version (default: as read)")
        delete.set_defaults(func=cmd_delete, plural=plural)
        for sub in (ls, apply, delete):
            sub.add_argument("--tenant", help="default: OBSERVER_TENANT")
    now = commands.add_parser("now", help="who is on call now and next")
    now.add_argument("--schedule", help="one schedule (default: every one)")
    now.add_argument("--user", help="a user id or username: that person's schedules")
    now.add_argument("--at", help="Unix seconds or RFC 3339 (default: now)")
    now.add_argument("--tenant", help="default: OBSERVER_TENANT")
    now.set_defaults(func=cmd_now)
    return p


def _problem(exc: Exception) -> str:
    field = getattr(exc, "field", None)
    message = getattr(exc, "message", None) or str(exc)
    current = getattr(exc, "current_version", None)
    return (f"{field}: {message}" if field else message) + (f" (current version {current})" if current else "")


def _run(work) -> int:
    from domain.errors import DomainError

    try:
        return asyncio.run(work())
    except DomainError as exc:
        print(f"observer-eye oncall: {_problem(exc)}", file=sys.stderr)
        return 1


def _documents(path: Path) -> list[dict[str, Any]]:
    import yaml

    text = path.read_text()
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    docs = data if isinstance(data, list) else [data]
    if not all(isinstance(d, dict) for d in docs):
        raise SystemExit(f"observer-eye oncall: {path} must hold an object or a list of objects")
    return docs


def cmd_list(args: argparse.Namespace) -> int:
    settings = _settings()
    tenant, config = args.tenant or settings.tenant, _container(settings).oncall_config()

    async def work() -> int:
        records = await config.list(tenant, KINDS[args.plural])
        rows = [{"id": r.id, "name": r.name, "version": r.version, "updated_by": r.updated_by,
                 "detail": _detail(r.kind, r.document)} for r in records]
        _table(rows, ["id", "name", "version", "updated_by", "detail"])
        return 0

    return _run(work)


def _detail(kind: str, doc: dict[str, Any]) -> str:
    if kind == "policy":
        sev = ",".join(doc.get("severities") or []) or "any severity"
        return f"{sev}; {len(doc.get('levels', []))} levels, repeat {doc.get('repeat', 0)}"
    return f"{doc.get('timezone')}; {len(doc.get('layers', []))} layers, {len(doc.get('overrides', []))} overrides"


def cmd_apply(args: argparse.Namespace) -> int:
    from domain.errors import ValidationError

    settings = _settings()
    tenant, kind = args.tenant or settings.tenant, KINDS[args.plural]
    try:
        docs = _documents(args.file)
    except (OSError, ValueError) as exc:
        print(f"observer-eye oncall: {args.file}: {exc}", file=sys.stderr)
        return 1

    config = _container(settings).oncall_config()  # before the loop runs: Django's checks are sync

    async def work() -> int:
        status = 0
        for i, doc in enumerate(docs):
            rid = doc.get("id")
            try:
                current = await config.list(tenant, kind)
                stored = next((r for r in current if r.id == rid), None)
                if stored is None:
                    record = await config.create(_actor(), tenant, kind, doc)
                    print(f"{kind} {record.id}: created (version {record.version})")
                elif _normalized(tenant, kind, doc) == stored.document:
                    print(f"{kind} {rid}: unchanged (version {stored.version})")
                else:
                    record = await config.replace(_actor(), tenant, kind, rid, doc, stored.version)
                    print(f"{kind} {rid}: updated (version {record.version})")
            except ValidationError as exc:
                print(f"{args.file}[{i}] {kind} {rid}: {_problem(exc)}", file=sys.stderr)
                status = 1
        return status

    return _run(work)


def _normalized(tenant: str, kind: str, doc: dict[str, Any]) -> dict[str, Any]:
    """The document as it would be stored (defaults filled in), to tell "unchanged"."""
    from domain.incidents import oncall_documents as d

    if kind == "policy":
        return d.policy_document(d.parse_policy(tenant, doc))
    return d.schedule_document(d.parse_schedule(tenant, doc))


def cmd_delete(args: argparse.Namespace) -> int:
    settings = _settings()
    tenant, kind = args.tenant or settings.tenant, KINDS[args.plural]

    config = _container(settings).oncall_config()

    async def work() -> int:
        version = args.version or (await config.get(tenant, kind, args.id)).version
        await config.delete(_actor(), tenant, kind, args.id, version)
        print(f"{kind} {args.id}: deleted")
        return 0

    return _run(work)


def cmd_now(args: argparse.Namespace) -> int:
    from adapters.http.params import parse_time_ms
    from services.oncall_views import OnCallViews

    settings = _settings()
    tenant = args.tenant or settings.tenant

    container = _container(settings)

    async def work() -> int:
        views = OnCallViews(container.oncall_config())
        at = container.clock().now_ms() if args.at is None else parse_time_ms(args.at, field="at")
        if args.user:
            rows = [{"schedule": s["schedule"], "on_call": "yes" if s["on_call"] else "no",
                     "until": (s["current"] or {}).get("end", ""), "next_from": (s["next"] or {}).get("start", ""),
                     "next_until": (s["next"] or {}).get("end", "")}
                    for s in await views.of_user(tenant, args.user, at)
                    if args.schedule is None or s["schedule"] == args.schedule]
            _table(rows, ["schedule", "on_call", "until", "next_from", "next_until"])
            return 0
        found = ([await views.now_and_next(tenant, args.schedule, at)] if args.schedule
                 else await views.everyone(tenant, at))
        rows = [{"schedule": s["schedule"], "on_call": (s["current"] or {}).get("user") or "(nobody)",
                 "until": (s["current"] or {}).get("end", ""), "next": (s["next"] or {}).get("user") or "-",
                 "next_until": (s["next"] or {}).get("end", "")} for s in found]
        _table(rows, ["schedule", "on_call", "until", "next", "next_until"])
        return 0

    return _run(work)
