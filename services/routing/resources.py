"""Notification routing as tenant-scoped configuration resources (ADR 0017, ADR 0018):
the routing tree, receivers, inhibit rules and time intervals.

Every write runs in one unit of work: the tenant is seeded first if it never had a
configuration, the item is validated alone (errors name its fields), written under its
version check, the whole configuration is validated (a route may not name a receiver or
time interval that is gone), the tenant's revision is raised and the audit entry (before
and after, secrets redacted) is added. After the commit the change is announced on the
``config`` channel (kind ``routing``), so every process's pipeline re-reads it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.errors import Conflict, NotFound, ValidationError
from ports.cache import PubSub
from ports.clock import Clock
from ports.repositories import UnitOfWork, UnitOfWorkRunner
from ports.routing import ROOT, RoutingItem, RoutingKind
from services.config_changes import announce
from services.identity.audit import Actor
from services.routing.documents import (
    check_inhibit_rule,
    check_receiver,
    check_time_interval,
    check_tree,
    check_whole,
    replace_all,
    validate_name,
    whole,
)
from services.routing.probe import ReceiverProbe
from services.routing.alertmanager import export_yaml, from_alertmanager, parse_yaml
from services.routing.secrets import REDACTED, REDACTED_URL, SECRET_FIELDS_BY_TYPE, ReceiverSecrets, channel_lists, redact
from services.routing.seed import RoutingSeed

KIND = "routing"  # the config_changes kind
_WHAT = {RoutingKind.TREE: "routing tree", RoutingKind.RECEIVER: "receiver", RoutingKind.INHIBIT_RULE: "inhibit rule",
         RoutingKind.TIME_INTERVAL: "time interval"}


@dataclass(frozen=True, slots=True)
class RoutingSnapshot:
    """The whole configuration as shown (secrets redacted) at ``revision``."""

    document: Mapping[str, Any]
    revision: int


def shown(item: RoutingItem) -> dict[str, Any]:
    """An item's document as the API and the audit show it."""
    return redact(item.document) if item.kind is RoutingKind.RECEIVER else dict(item.document)


class RoutingService:
    def __init__(self, uow: UnitOfWorkRunner, clock: Clock, secrets: ReceiverSecrets, seed: RoutingSeed,
                 pubsub: PubSub | None = None, probe: ReceiverProbe | None = None) -> None:
        self.probe = probe  # sends a receiver's test notification
        self._uow = uow
        self._clock = clock
        self.secrets = secrets
        self._seed = seed
        self._pubsub = pubsub

    # -- reading ------------------------------------------------------------------------

    async def _read(self, tenant: str, work: Callable[[UnitOfWork], Any]) -> Any:
        await self._seed.ensure(tenant)
        return await self._uow.run(work)

    async def get(self, tenant: str, kind: RoutingKind, name: str) -> RoutingItem:
        found = await self._read(tenant, lambda uow: uow.routing.get(tenant, kind, name))
        if found is None:
            raise NotFound(f"no {_WHAT[kind]} {name!r}")
        return found

    async def list(self, tenant: str, kind: RoutingKind) -> list[RoutingItem]:
        return await self._read(tenant, lambda uow: uow.routing.list(tenant, kind))

    async def snapshot(self, tenant: str) -> RoutingSnapshot:
        return await self._read(tenant, lambda uow: RoutingSnapshot(whole(uow, tenant, None), uow.routing.revision(tenant)))

    # -- writing ------------------------------------------------------------------------

    def _check(self, kind: RoutingKind, name: str, plain: Mapping[str, Any]) -> None:
        if kind is RoutingKind.RECEIVER:
            check_receiver(plain)
        elif kind is RoutingKind.INHIBIT_RULE:
            check_inhibit_rule(plain)
        elif kind is RoutingKind.TIME_INTERVAL:
            check_time_interval(plain)
        else:
            check_tree(plain)
        if kind is not RoutingKind.TREE and plain.get("name") != name:
            raise ValidationError(f"the name is {name!r}; renaming is a new {_WHAT[kind]} and a delete", field="name")

    async def _write(self, tenant: str, actor: Actor, kind: RoutingKind, name: str, document: Mapping[str, Any] | None,
                     expected_version: int | None) -> RoutingItem | None:
        """Create (``expected_version`` None), replace, or delete (``document`` None)."""
        if document is not None and not isinstance(document, Mapping):
            raise ValidationError("must be an object", field=None)
        await self._seed.ensure(tenant)
        now = self._clock.now_ms()
        verb = "create" if expected_version is None else ("delete" if document is None else "update")

        def work(uow: UnitOfWork) -> RoutingItem | None:
            old = uow.routing.get(tenant, kind, name)
            item = None
            if document is not None:
                stored = dict(document)
                if kind is RoutingKind.RECEIVER:
                    stored = self.secrets.merge(tenant, document, old.document if old else None)
                    self._check(kind, name, self.secrets.reveal(tenant, stored))
                else:
                    self._check(kind, name, stored)
                version = 1 if expected_version is None else expected_version + 1
                item = RoutingItem(tenant, kind, name, stored, version, actor.subject, now)
                if expected_version is None:
                    uow.routing.add(item)
                else:
                    uow.routing.replace(item, expected_version)
            else:
                assert expected_version is not None
                uow.routing.delete(tenant, kind, name, expected_version)
            check_whole(uow, tenant, self.secrets)
            uow.routing.bump(tenant)
            uow.audit.add(actor.entry(tenant, f"routing.{kind.value}.{verb}", f"{kind.value}:{name}", now,
                                      before=shown(old) if old else None, after=shown(item) if item else None))
            return item

        result = await self._uow.run(work)
        await announce(self._pubsub, tenant, KIND)
        return result

    async def create(self, tenant: str, actor: Actor, kind: RoutingKind, document: Mapping[str, Any]) -> RoutingItem:
        if kind is RoutingKind.TREE:
            raise ValidationError("a tenant has one routing tree: replace it (PUT) instead", field=None)
        name = validate_name(document.get("name") if isinstance(document, Mapping) else None, _WHAT[kind])
        item = await self._write(tenant, actor, kind, name, document, None)
        assert item is not None
        return item

    async def replace(self, tenant: str, actor: Actor, kind: RoutingKind, name: str, document: Mapping[str, Any],
                      expected_version: int) -> RoutingItem:
        if kind is not RoutingKind.TREE and isinstance(document, Mapping):
            document = {**document, "name": document.get("name", name)}
        item = await self._write(tenant, actor, kind, name, document, expected_version)
        assert item is not None
        return item

    async def delete(self, tenant: str, actor: Actor, kind: RoutingKind, name: str, expected_version: int) -> None:
        if kind is RoutingKind.TREE:
            raise ValidationError("the routing tree cannot be deleted; replace it", field=None)
        await self._write(tenant, actor, kind, name, None, expected_version)

    async def replace_all(self, tenant: str, actor: Actor, document: Mapping[str, Any], expected_revision: int,
                          action: str = "routing.import") -> int:
        """Make ``document`` (a whole configuration) the tenant's, if its revision is still
        ``expected_revision``; answers the new revision."""
        _check_names(document)
        await self._seed.ensure(tenant)
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> int:
            current = uow.routing.revision(tenant)
            if current != expected_revision:
                raise Conflict(f"the routing configuration is at revision {current}, not {expected_revision}",
                               current_version=current)
            replace_all(uow, tenant, document, self.secrets, actor, now, action)
            return uow.routing.bump(tenant, expected_revision)

        revision = await self._uow.run(work)
        await announce(self._pubsub, tenant, KIND)
        return revision


def _check_names(document: Mapping[str, Any]) -> None:
    """Names of a whole document: valid and unique per kind (before anything is written)."""
    if not isinstance(document, Mapping) or not isinstance(document.get("route"), Mapping):
        raise ValidationError("the configuration needs a root route", field="route")
    for key, what in (("receivers", "receiver"), ("inhibit_rules", "inhibit rule"), ("time_intervals", "time interval")):
        items = document.get(key, [])
        if not isinstance(items, list):
            raise ValidationError("must be a list", field=key)
        seen: set[str] = set()
        for i, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise ValidationError("must be an object", field=f"{key}[{i}]")
            if key == "inhibit_rules" and "name" not in item:
                continue
            try:
                name = validate_name(item.get("name"), what)
            except ValidationError as exc:
                raise exc.renamed(f"{key}[{i}].name") from None
            if name in seen:
                raise ValidationError(f"{what} {name!r} is defined twice", field=f"{key}[{i}].name")
            seen.add(name)


# -- Alertmanager's YAML --------------------------------------------------------------


def _url_placeholders(document: Mapping[str, Any]) -> dict[str, Any]:
    """Redacted URLs as a URL (Alertmanager refuses a url that does not parse)."""
    out = copy.deepcopy(dict(document))
    for receiver in out.get("receivers", []):
        for kind, _, _, channel in channel_lists(receiver):
            if "url" in SECRET_FIELDS_BY_TYPE[kind] and channel.get("url") == REDACTED:
                channel["url"] = REDACTED_URL
    return out


async def export_alertmanager(service: RoutingService, tenant: str) -> tuple[str, int]:
    """The tenant's routing as ``alertmanager.yml`` (secrets as placeholders), and its revision."""
    snap = await service.snapshot(tenant)
    return export_yaml(_url_placeholders(snap.document), snap.revision), snap.revision


async def import_alertmanager(service: RoutingService, tenant: str, actor: Actor, text: str, expected_revision: int,
                              *, drop_unsupported: bool = False) -> tuple[int, list[str]]:
    """Replace the tenant's routing with an ``alertmanager.yml``; the new revision and
    what was dropped (with ``drop_unsupported``; otherwise unsupported fields are refused)."""
    document, dropped = from_alertmanager(parse_yaml(text), drop_unsupported=drop_unsupported)
    revision = await service.replace_all(tenant, actor, document, expected_revision, action="routing.import")
    return revision, dropped
