"""``observer-eye rules list|get|apply|enable|disable|delete|dry-run`` (the alert rules the
streaming evaluator runs) and ``observer-eye windows list|create|delete`` (maintenance
windows), on the configured repository, as the API does it: versioned writes, each
audited with ``cli:<os user>`` as the actor, announced to the running processes.

    observer-eye rules list [--type threshold] [--group hosts] [--disabled] [--q cpu]
    observer-eye rules get RULE_ID                     # JSON, with its version
    observer-eye rules apply -f rules.yaml             # create, or update by id (or by group and name)
    observer-eye rules enable RULE_ID | disable RULE_ID | delete RULE_ID [--version N]
    observer-eye rules dry-run RULE_ID [--range 24h] | dry-run -f rule.yaml [--range 6h]
    observer-eye windows list [--state active]
    observer-eye windows create --name "Patch night" --match env=prod --comment "kernel updates" \\
        --starts 2026-12-01T00:00:00Z --ends 2027-03-01T00:00:00Z --timezone Europe/Berlin \\
        --weekdays 5,6 --start-time 22:00 --duration 4h     # or --rrule FREQ=MONTHLY;BYDAY=1SU, or neither: once
    observer-eye windows delete WINDOW_ID [--version N]

A rules file is YAML or JSON: a list of rules, ``{"rules": [...]}``, or one rule, each in
the shape ``POST /api/v1/rules`` takes. ``--tenant`` picks the tenant (default
``OBSERVER_TENANT``). ``delete`` without ``--version`` deletes the version it reads.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from domain.errors import ValidationError
from entrypoints.identity_cli import _actor, _run, _table

_MATCH_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(=~|!~|!=|=)(.*)$")


# ------------------------------------------------------------------------------- rules


def add_rule_commands(kinds) -> None:
    """Add the alert rule commands to ``observer-eye rules`` (entrypoints/rules_cli.py)."""
    listing = kinds.add_parser("list", help="the alert rules (threshold, absence, anomaly)")
    listing.add_argument("--type", choices=("threshold", "absence", "anomaly"))
    listing.add_argument("--group")
    state = listing.add_mutually_exclusive_group()
    state.add_argument("--enabled", action="store_true", help="only enabled rules")
    state.add_argument("--disabled", action="store_true", help="only disabled rules")
    listing.add_argument("--q", help="substring of the name or of a label=value")
    listing.set_defaults(func=_run(_list_rules))
    get = kinds.add_parser("get", help="one alert rule as JSON")
    get.add_argument("rule_id")
    get.set_defaults(func=_run(_get_rule))
    apply = kinds.add_parser("apply", help="create or update the alert rules of a file")
    apply.add_argument("-f", "--file", type=Path, required=True)
    apply.set_defaults(func=_run(_apply_rules))
    for name, enabled in (("enable", True), ("disable", False)):
        p = kinds.add_parser(name, help=f"{name} an alert rule")
        p.add_argument("rule_id")
        p.add_argument("--version", type=int, help="the version you read (default: the current one)")
        p.set_defaults(func=_run(_enable if enabled else _disable))
    delete = kinds.add_parser("delete", help="delete an alert rule")
    delete.add_argument("rule_id")
    delete.add_argument("--version", type=int, help="the version you read (default: the current one)")
    delete.set_defaults(func=_run(_delete_rule))
    dry = kinds.add_parser("dry-run", help="would a rule have fired over the stored samples, and when?")
    dry.add_argument("rule_id", nargs="?")
    dry.add_argument("-f", "--file", type=Path, help="a rule definition instead of a stored rule")
    dry.add_argument("--range", default="24h", help="how far back (default 24h)")
    dry.set_defaults(func=_run(_dry_run))
    for p in (listing, get, apply, delete, dry, *(kinds.choices[n] for n in ("enable", "disable"))):
        p.add_argument("--tenant", help="default: OBSERVER_TENANT")


def _load_definitions(path: Path) -> list[dict[str, Any]]:
    import yaml

    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValidationError(f"{path}: {exc}", field="file") from None
    if isinstance(doc, dict) and "rules" in doc:
        doc = doc["rules"]
    items = doc if isinstance(doc, list) else [doc]
    if not items or not all(isinstance(i, dict) for i in items):
        raise ValidationError(f"{path}: expected a rule, a list of rules or {{rules: [...]}}", field="file")
    return items


def _build(tenant: str, doc: dict[str, Any], rule_id: str, at: str):
    import pydantic

    from adapters.http.routes.rules import RuleIn, build_rule

    try:
        body = RuleIn.model_validate({k: v for k, v in doc.items() if k != "id"})
        return build_rule(tenant, rule_id, body)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        raise ValidationError(first["msg"], field=f"{at}.{'.'.join(str(p) for p in first['loc'])}") from None
    except ValidationError as exc:
        raise exc.renamed(f"{at}.{exc.field}" if exc.field else at) from None


async def _list_rules(args: argparse.Namespace, container) -> None:
    from services.rules import RuleFilter, rule_kind

    enabled = True if args.enabled else False if args.disabled else None
    rules = await container.rules().list(args.tenant, RuleFilter(args.type, args.group, enabled, args.q))
    _table([{"id": r.id, "type": rule_kind(r), "group": r.group, "name": r.name, "enabled": r.enabled,
             "version": r.version, "selector": str(r.selector)} for r in rules],
           ["id", "type", "group", "name", "enabled", "version", "selector"])


async def _get_rule(args: argparse.Namespace, container) -> None:
    from services.rules import rule_view

    print(json.dumps(rule_view(await container.rules().get(args.tenant, args.rule_id)), indent=2))


def _same(a, b) -> bool:
    from services.rules import rule_view

    volatile = ("version", "updated_by", "updated_at_ms")
    return {k: v for k, v in rule_view(a).items() if k not in volatile} == \
        {k: v for k, v in rule_view(b).items() if k not in volatile}


async def _apply_rules(args: argparse.Namespace, container) -> None:
    from services.alerting import new_id

    service, actor = container.rules(), _actor()
    existing = await service.list(args.tenant)
    by_id = {r.id: r for r in existing}
    by_name = {(r.group, r.name): r for r in existing}
    # Every definition is checked before anything is written: a file with a problem writes nothing.
    planned = []
    for i, doc in enumerate(_load_definitions(args.file)):
        probe = _build(args.tenant, doc, str(doc.get("id") or "probe"), f"rules[{i}]")
        current = by_id.get(doc["id"]) if doc.get("id") else by_name.get((probe.group, probe.name))
        rule_id = str(doc.get("id") or (current.id if current else new_id("rule")))
        planned.append((_build(args.tenant, doc, rule_id, f"rules[{i}]"), current))
    for rule, current in planned:
        if current is None:
            stored = await service.create(actor, rule)
            print(f"created {stored.id} ({stored.name}, version 1)")
        elif _same(rule, current):
            print(f"unchanged {current.id} ({current.name}, version {current.version})")
        else:
            stored = await service.replace(actor, rule, current.version)
            print(f"updated {stored.id} ({stored.name}, version {stored.version})")


async def _version_of(service, tenant: str, rule_id: str, given: int | None) -> int:
    return given if given is not None else (await service.get(tenant, rule_id)).version


async def _enable(args: argparse.Namespace, container) -> None:
    await _set_enabled(args, container, True)


async def _disable(args: argparse.Namespace, container) -> None:
    await _set_enabled(args, container, False)


async def _set_enabled(args: argparse.Namespace, container, enabled: bool) -> None:
    service = container.rules()
    version = await _version_of(service, args.tenant, args.rule_id, args.version)
    rule = await service.set_enabled(_actor(), args.tenant, args.rule_id, enabled, version)
    print(f"{'enabled' if enabled else 'disabled'} {rule.id} (version {rule.version})")


async def _delete_rule(args: argparse.Namespace, container) -> None:
    service = container.rules()
    version = await _version_of(service, args.tenant, args.rule_id, args.version)
    await service.delete(_actor(), args.tenant, args.rule_id, version)
    print(f"deleted {args.rule_id}")


async def _dry_run(args: argparse.Namespace, container) -> None:
    from adapters.http.params import parse_duration_ms

    service = container.rules()
    if args.file is not None:
        rule = _build(args.tenant, _load_definitions(args.file)[0], "dry-run", "rules[0]")
    elif args.rule_id:
        rule = await service.get(args.tenant, args.rule_id)
    else:
        raise ValidationError("name a stored rule or give -f FILE", field="rule_id")
    result = await service.dry_run(rule, parse_duration_ms(args.range, field="range"))
    s = result.summary
    print(f"{rule.name}: {'would have fired' if s.would_have_fired else 'would not have fired'} over the last "
          f"{args.range} ({s.series} series, {s.samples} samples; {s.fired} times, {s.alerts_fired} alerts, "
          f"{s.firing_at_end} firing at the end, {s.firing_ms // 1000} s firing in all)")
    _table([{"at": _iso(t.at_ms), "from": t.from_state.value, "to": t.to_state.value, "value": t.value,
             "labels": ",".join(f"{k}={v}" for k, v in t.labels.as_dict().items())} for t in result.transitions],
           ["at", "from", "to", "value", "labels"])
    if result.truncated:
        print(f"(the first {len(result.transitions)} of {s.transitions} transitions)")


def _iso(ms: int) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ----------------------------------------------------------------------------- windows


def add_windows_parser(subparsers) -> None:
    """Register ``observer-eye windows`` (entrypoints/cli.py)."""
    p = subparsers.add_parser("windows", help="maintenance windows: list, create, delete")
    kinds = p.add_subparsers(dest="windows_command", required=True, metavar="COMMAND")
    listing = kinds.add_parser("list", help="the maintenance windows")
    listing.add_argument("--state", choices=("active", "upcoming", "expired"))
    listing.set_defaults(func=_run(_list_windows))
    create = kinds.add_parser("create", help="create a maintenance window (once, weekly or an RRULE)")
    create.add_argument("--id")
    create.add_argument("--name", required=True)
    create.add_argument("--match", action="append", required=True, metavar="LABEL=VALUE",
                        help="a matcher (=, !=, =~, !~); repeat for more")
    create.add_argument("--comment", required=True, help="why alerts are muted")
    create.add_argument("--starts", required=True, help="RFC 3339 or epoch seconds")
    create.add_argument("--ends", required=True)
    create.add_argument("--timezone", default="UTC")
    create.add_argument("--weekdays", help="weekly: 0 = Monday ... 6 = Sunday, e.g. 5,6")
    create.add_argument("--start-time", help="weekly, rrule: HH:MM local")
    create.add_argument("--duration", help="weekly, rrule: e.g. 4h")
    create.add_argument("--rrule", help="e.g. FREQ=MONTHLY;BYDAY=1SU")
    create.set_defaults(func=_run(_create_window))
    delete = kinds.add_parser("delete", help="delete a maintenance window")
    delete.add_argument("window_id")
    delete.add_argument("--version", type=int, help="the version you read (default: the current one)")
    delete.set_defaults(func=_run(_delete_window))
    for sub in (listing, create, delete):
        sub.add_argument("--tenant", help="default: OBSERVER_TENANT")


async def _list_windows(args: argparse.Namespace, container) -> None:
    from domain.alerts.maintenance import WindowState
    from services.maintenance_windows import WindowFilter

    service = container.maintenance_windows()
    now = service.now_ms()
    windows = await service.list(args.tenant, WindowFilter(WindowState(args.state) if args.state else None))
    _table([{"id": w.id, "name": w.name, "state": w.state_at(now).value, "kind": w.schedule.kind.value,
             "matchers": ",".join(f"{m.name}{m.op.value}{m.value}" for m in w.matchers), "version": w.version,
             "created_by": w.created_by, "comment": w.comment} for w in windows],
           ["id", "name", "state", "kind", "matchers", "version", "created_by", "comment"])


async def _create_window(args: argparse.Namespace, container) -> None:
    from adapters.http.routes.maintenance_windows import MatcherIn, ScheduleIn, WindowIn, build_window
    from services.alerting import new_id

    matchers = []
    for i, text in enumerate(args.match):
        found = _MATCH_RE.fullmatch(text)
        if found is None:
            raise ValidationError(f"{text!r} is not LABEL=VALUE (or !=, =~, !~)", field=f"match[{i}]")
        matchers.append(MatcherIn(name=found.group(1), op=found.group(2), value=found.group(3)))
    kind = "rrule" if args.rrule else "weekly" if args.weekdays else "once"
    try:
        weekdays = [int(d) for d in args.weekdays.split(",")] if args.weekdays else None
    except ValueError:
        raise ValidationError("weekdays are numbers 0 (Monday) .. 6 (Sunday), e.g. 5,6", field="weekdays") from None
    schedule = ScheduleIn(kind=kind, timezone=args.timezone, starts_at=args.starts, ends_at=args.ends,
                          weekdays=weekdays, start_time=args.start_time, duration=args.duration, rrule=args.rrule)
    actor = _actor()
    window = build_window(args.tenant, args.id or new_id("mw"), actor.subject,
                          WindowIn(name=args.name, matchers=matchers, schedule=schedule, comment=args.comment))
    service = container.maintenance_windows()
    stored = await service.create(actor, window)
    print(f"created {stored.id} ({stored.name}, {stored.state_at(service.now_ms()).value})")


async def _delete_window(args: argparse.Namespace, container) -> None:
    service = container.maintenance_windows()
    version = args.version if args.version is not None else (await service.get(args.tenant, args.window_id)).version
    await service.delete(_actor(), args.tenant, args.window_id, version)
    print(f"deleted {args.window_id}")
