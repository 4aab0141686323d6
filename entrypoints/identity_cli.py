"""``observer-eye users|teams|keys|tenants|audit``: identity administration from the
command line, on the configured repository (Django: ``OBSERVER_DATABASE_URL``, else
SQLite in the data directory, as in the embedded stack). Every change is written to the
audit log with ``cli:<os user>`` as the actor.

    observer-eye users list [--status invited]
    observer-eye users invite ada --email ada@example.com --name "Ada" --role responder
    observer-eye users create ada --email ... --name ... --role admin    # password: $OBSERVER_USER_PASSWORD or a prompt
    observer-eye users set-role ada admin | deactivate ada | reactivate ada | reset-password ada | reset-mfa ada
    observer-eye teams list | create sre --name SRE [--member ada] | add-member sre bob | remove-member sre bob | delete sre
    observer-eye keys list | create grafana --scope read [--owner ada] [--expires-in-days 30 | --never-expires]
    observer-eye keys revoke KEY_ID | rotate KEY_ID [--grace-s 300]
    observer-eye tenants list | create acme --name "Acme" --admin-username bob --admin-email bob@acme.com --admin-name Bob
    observer-eye tenants deactivate acme | reactivate acme
    observer-eye audit list [--action user.*] [--limit 50] | export [--output audit.jsonl] | purge --older-than-days 400

``--tenant`` picks the tenant (default ``OBSERVER_TENANT``). Secrets (a new key, an
invitation token) are printed once, on standard output; passwords are never arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from domain.errors import DomainError, NotFound, ValidationError
from domain.identity.audit import AuditQuery
from entrypoints.settings import Settings

PASSWORD_ENV = "OBSERVER_USER_PASSWORD"


def _settings() -> Settings:
    """The embedded stack's repository unless another is configured; never the
    in-memory one (whatever this process changed would be gone when it exits)."""
    settings = Settings(repository=os.environ.get("OBSERVER_REPOSITORY", "django"), agent=False)  # type: ignore[arg-type]
    if settings.repository != "django":
        raise SystemExit("observer-eye: identity commands need a database: OBSERVER_REPOSITORY=django")
    return settings


def _container(settings: Settings):
    from adapters.django_orm import pending_migrations
    from entrypoints.container import build_container, setup_database

    setup_database(settings)
    if pending := pending_migrations():
        raise SystemExit(f"observer-eye: {len(pending)} migrations are not applied; run `observer-eye admin migrate`")
    return build_container(settings)


def _actor():
    from services.identity import Actor

    return Actor.cli(getpass.getuser())


def _table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    widths = {c: max([len(c), *(len(str(r.get(c, ""))) for r in rows)]) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip())
    for r in rows:
        print("  ".join(str(r.get(c, "") if r.get(c) is not None else "-").ljust(widths[c]) for c in columns).rstrip())


async def _user_id(container, tenant: str, ref: str) -> str:
    """A user by id or by username."""
    for user in await container.accounts().list_users(tenant):
        if ref in (user.id, user.username):
            return user.id
    raise NotFound(f"no user {ref!r} in tenant {tenant!r}")


def _password() -> str:
    password = os.environ.get(PASSWORD_ENV)
    if password:
        return password
    if not sys.stdin.isatty():
        raise SystemExit(f"observer-eye: set {PASSWORD_ENV} to the password (or run interactively to be prompted)")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password (again): "):
        raise SystemExit("observer-eye: the passwords differ")
    return first


def _invitation(invitation) -> None:
    print(f"user {invitation.user.username} ({invitation.user.id}) is invited; their one-time token (shown once):")
    print(invitation.token)
    print("they set a password with it: POST /api/v1/auth/set-password {\"token\": ..., \"password\": ...}")


# ---------------------------------------------------------------------------- users


async def users(args: argparse.Namespace, c) -> None:
    from services.identity.audit import user_view

    accounts, tenant, actor = c.accounts(), args.tenant, _actor()
    if args.action == "list":
        statuses = [args.status] if args.status else []
        _table([user_view(u) for u in await accounts.list_users(tenant, statuses)],
               ["id", "username", "email", "name", "role", "status", "mfa_enabled", "platform_admin"])
    elif args.action == "invite":
        _invitation(await accounts.invite(tenant, actor, username=args.user, email=args.email, name=args.name,
                                          role=args.role))
    elif args.action == "create":
        user = await accounts.create_user(tenant, actor, username=args.user, email=args.email, name=args.name,
                                          role=args.role, password=_password(), platform_admin=args.platform_admin)
        print(f"user {user.username} ({user.id}) created")
    elif args.action == "reset-password":
        _invitation(await accounts.reset_password(tenant, actor, await _user_id(c, tenant, args.user)))
    else:
        user_id = await _user_id(c, tenant, args.user)
        change: dict[str, Callable[[], Awaitable[Any]]] = {
            "set-role": lambda: accounts.set_role(tenant, actor, user_id, args.role),
            "deactivate": lambda: accounts.deactivate(tenant, actor, user_id),
            "reactivate": lambda: accounts.reactivate(tenant, actor, user_id),
            "reset-mfa": lambda: accounts.reset_mfa(tenant, actor, user_id),
            "set-platform-admin": lambda: accounts.set_platform_admin(tenant, actor, user_id, args.value == "on"),
        }
        user = await change[args.action]()
        print(json.dumps(user_view(user)))


# ---------------------------------------------------------------------------- teams


async def teams(args: argparse.Namespace, c) -> None:
    from services.identity.audit import team_view

    accounts, tenant, actor = c.accounts(), args.tenant, _actor()
    if args.action == "list":
        _table([{**team_view(t), "members": ",".join(sorted(t.members))} for t in await accounts.list_teams(tenant)],
               ["id", "name", "description", "members"])
        return
    if args.action == "create":
        members = [await _user_id(c, tenant, m) for m in args.member]
        team = await accounts.create_team(tenant, actor, team_id=args.team, name=args.name,
                                          description=args.description, members=members)
    elif args.action == "delete":
        await accounts.delete_team(tenant, actor, args.team)
        print(f"team {args.team} deleted")
        return
    else:
        current = await accounts.get_team(tenant, args.team)
        user_id = await _user_id(c, tenant, args.user)
        changed = current.with_member(user_id) if args.action == "add-member" else current.without_member(user_id)
        team = await accounts.update_team(tenant, actor, args.team, members=sorted(changed.members))
    print(json.dumps(team_view(team)))


# ---------------------------------------------------------------------------- keys


async def keys(args: argparse.Namespace, c) -> None:
    from services.identity.audit import key_view

    service, tenant, actor = c.api_keys(), args.tenant, _actor()
    if args.action == "list":
        rows = [{**key_view(k), "scopes": ",".join(sorted(s.value for s in k.scopes))}
                for k in await service.list_keys(tenant)]
        _table(rows, ["id", "name", "key", "scopes", "owner", "expires_at_ms", "revoked_at_ms"])
        return
    if args.action == "create":
        owner = await _user_id(c, tenant, args.owner) if args.owner else None
        key, secret = await service.create_api_key(tenant, args.name, args.scope, actor=actor, owner=owner,
                                                   expires_in_days=args.expires_in_days,
                                                   never_expires=args.never_expires)
    elif args.action == "rotate":
        key, secret = await service.rotate_key(tenant, args.key, actor, grace_s=args.grace_s)
    else:
        key = await service.revoke_key(tenant, args.key, actor)
        print(f"key {key.id} ({key.masked}) revoked")
        return
    print(f"key {key.id} ({key.name}); the secret, shown once:", file=sys.stderr)
    print(secret)


# ---------------------------------------------------------------------------- tenants


async def tenants(args: argparse.Namespace, c) -> None:
    from services.identity.audit import tenant_view

    service, actor = c.tenants(), _actor()
    if args.action == "list":
        _table([tenant_view(t) for t in await service.list_tenants()], ["id", "name", "status", "created_at_ms"])
    elif args.action == "create":
        created = await service.create_tenant(actor, args.tenant_id, args.name, admin_username=args.admin_username,
                                              admin_email=args.admin_email, admin_name=args.admin_name)
        print(f"tenant {created.tenant.id} created; its admin API key (shown once):")
        print(created.api_key)
        _invitation(created.admin)
    elif args.action == "deactivate":
        print(json.dumps(tenant_view(await service.deactivate_tenant(actor, args.tenant_id))))
    else:
        print(json.dumps(tenant_view(await service.reactivate_tenant(actor, args.tenant_id))))


# ---------------------------------------------------------------------------- audit


async def audit(args: argparse.Namespace, c) -> None:
    from adapters.http.params import parse_time_ms

    service = c.audit()
    if args.action == "purge":
        print(f"{await service.purge(args.older_than_days, _actor())} entries deleted")
        return
    query = AuditQuery(
        args.tenant, actor=args.actor, action=args.action_filter, target=args.target,
        since_ms=parse_time_ms(args.since, field="since") if args.since else None,
        until_ms=parse_time_ms(args.until, field="until") if args.until else None,
        limit=args.limit if args.action == "list" else 500)
    if args.action == "list":
        rows = [e.as_dict() for e in await service.query(query)]
        _table(rows, ["id", "actor_name", "actor", "action", "target", "status", "remote_addr"])
        return
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    try:
        async for line in service.export(query):
            out.write(line)
    finally:
        if out is not sys.stdout:
            out.close()


# ---------------------------------------------------------------------------- parsers


def _run(handler: Callable[[argparse.Namespace, Any], Awaitable[None]]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        settings = _settings()
        args.tenant = args.tenant or settings.tenant
        container = _container(settings)

        async def main() -> None:
            try:
                await handler(args, container)
            finally:
                await container.uow().aclose()

        try:
            asyncio.run(main())
        except ValidationError as exc:
            print(f"observer-eye {args.command}: {exc.field + ': ' if exc.field else ''}{exc.message}", file=sys.stderr)
            return 2
        except DomainError as exc:
            hint = " (the API makes its tenant at its first start; others: observer-eye tenants create)" if (
                str(exc).startswith("no tenant")) else ""
            print(f"observer-eye {args.command}: {exc}{hint}", file=sys.stderr)
            return 1
        return 0

    return run


_TENANT = argparse.ArgumentParser(add_help=False)
_TENANT.add_argument("--tenant", help="the tenant (default: OBSERVER_TENANT, else 'default')")


def _group(sub, name: str, help_: str, handler) -> argparse._SubParsersAction:
    parser = sub.add_parser(name, help=help_)
    parser.set_defaults(func=_run(handler))
    return parser.add_subparsers(dest="action", required=True, metavar="ACTION")


def _action(actions, name: str, help_: str) -> argparse.ArgumentParser:
    return actions.add_parser(name, help=help_, parents=[_TENANT])


def add_parsers(sub) -> None:
    roles = ["viewer", "responder", "admin"]
    u = _group(sub, "users", "users of a tenant: list, invite, create, set-role, deactivate ...", users)
    _action(u, "list", "the tenant's users").add_argument("--status", choices=["invited", "active", "deactivated"])
    for name in ("invite", "create"):
        p = _action(u, name, "invite a user (a one-time token)" if name == "invite" else
                    f"create an active user (password from ${PASSWORD_ENV} or a prompt)")
        p.add_argument("user", help="username")
        p.add_argument("--email", required=True)
        p.add_argument("--name", required=True)
        p.add_argument("--role", choices=roles, default="viewer")
        if name == "create":
            p.add_argument("--platform-admin", action="store_true", help="may manage tenants")
    p = _action(u, "set-role", "change a user's role")
    p.add_argument("user", help="username or id")
    p.add_argument("role", choices=roles)
    for name, help_ in (("deactivate", "end their sessions, revoke their keys"), ("reactivate", "undo deactivate"),
                        ("reset-password", "a new one-time token"), ("reset-mfa", "remove their second factor")):
        _action(u, name, help_).add_argument("user", help="username or id")
    p = _action(u, "set-platform-admin", "whether the user may manage tenants")
    p.add_argument("user", help="username or id")
    p.add_argument("value", choices=["on", "off"])

    t = _group(sub, "teams", "teams of a tenant", teams)
    _action(t, "list", "the tenant's teams")
    p = _action(t, "create", "create a team")
    p.add_argument("team", help="team id (a-z 0-9 _ -)")
    p.add_argument("--name", required=True)
    p.add_argument("--description", default="")
    p.add_argument("--member", action="append", default=[], help="username or id (repeatable)")
    for name in ("add-member", "remove-member"):
        p = _action(t, name, name.replace("-", " "))
        p.add_argument("team")
        p.add_argument("user", help="username or id")
    _action(t, "delete", "delete a team").add_argument("team")

    k = _group(sub, "keys", "API keys of a tenant", keys)
    _action(k, "list", "the tenant's keys (never their secrets)")
    p = _action(k, "create", "create a key: prints its secret once")
    p.add_argument("name")
    p.add_argument("--scope", action="append", required=True, choices=["ingest", "read", "responder", "admin"])
    p.add_argument("--owner", help="username or id of the user responsible for it")
    expiry = p.add_mutually_exclusive_group()
    expiry.add_argument("--expires-in-days", type=int, help="default 90")
    expiry.add_argument("--never-expires", action="store_true", help="compliance counts such keys")
    _action(k, "revoke", "revoke a key").add_argument("key", help="key id")
    p = _action(k, "rotate", "replace a key: prints the new secret once")
    p.add_argument("key", help="key id")
    p.add_argument("--grace-s", type=int, default=0, help="how long the old key keeps working")

    n = _group(sub, "tenants", "tenants: list, create (with the first admin and key), deactivate", tenants)
    _action(n, "list", "every tenant")
    p = _action(n, "create", "create a tenant, its first admin (invited) and an admin key")
    p.add_argument("tenant_id")
    p.add_argument("--name", required=True)
    p.add_argument("--admin-username", required=True)
    p.add_argument("--admin-email", required=True)
    p.add_argument("--admin-name", required=True)
    _action(n, "deactivate", "refuse every credential of the tenant").add_argument("tenant_id")
    _action(n, "reactivate", "accept them again").add_argument("tenant_id")

    a = _group(sub, "audit", "the audit log of a tenant", audit)
    for name in ("list", "export"):
        p = _action(a, name, "newest entries" if name == "list" else "every matching entry as JSON lines")
        p.add_argument("--action", dest="action_filter", help="exact, or a prefix: user.*")
        p.add_argument("--actor")
        p.add_argument("--target")
        p.add_argument("--since", help="Unix seconds or RFC 3339")
        p.add_argument("--until")
        if name == "list":
            p.add_argument("--limit", type=int, default=50)
        else:
            p.add_argument("--output", help="a file (default: standard output)")
    _action(a, "purge", "delete entries older than the retention").add_argument("--older-than-days", type=int,
                                                                                 required=True)
