"""The routing repository in process memory (``ports.routing``). Rows are replaced,
never changed in place, so the memory unit of work's rollback snapshot stays valid."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from domain.errors import Conflict, NotFound
from ports.routing import RoutingItem, RoutingKind


class MemoryRoutingRepository:
    def __init__(self, items: Any, revisions: Any) -> None:
        self._items = items  # adapters.memory.repositories._Table: (tenant, "kind/name") -> RoutingItem
        self._revisions = revisions  # (tenant, "") -> int

    @staticmethod
    def _key(tenant: str, kind: RoutingKind, name: str) -> tuple[str, str]:
        return tenant, f"{RoutingKind(kind).value}/{name}"

    def get(self, tenant: str, kind: RoutingKind, name: str) -> RoutingItem | None:
        return self._items.get(self._key(tenant, kind, name))

    def list(self, tenant: str, kind: RoutingKind) -> list[RoutingItem]:
        found = self._items.where(lambda i: i.tenant == tenant and i.kind == RoutingKind(kind))
        return sorted(found, key=lambda i: i.name)

    def add(self, item: RoutingItem) -> None:
        key = self._key(item.tenant, item.kind, item.name)
        if key in self._items.rows:
            raise Conflict(f"{RoutingKind(item.kind).value} {item.name!r} exists already")
        self._items.put(key, replace(item, document=copy.deepcopy(dict(item.document))))

    def _check(self, tenant: str, kind: RoutingKind, name: str, expected_version: int) -> tuple[str, str]:
        key = self._key(tenant, kind, name)
        stored = self._items.rows.get(key)
        if stored is None:
            raise NotFound(f"no {RoutingKind(kind).value} {name!r}")
        if stored.version != expected_version:
            raise Conflict(f"{RoutingKind(kind).value} {name!r} is at version {stored.version}, not {expected_version}",
                           current_version=stored.version)
        return key

    def replace(self, item: RoutingItem, expected_version: int) -> None:
        key = self._check(item.tenant, item.kind, item.name, expected_version)
        self._items.put(key, replace(item, document=copy.deepcopy(dict(item.document))))

    def delete(self, tenant: str, kind: RoutingKind, name: str, expected_version: int) -> None:
        key = self._check(tenant, kind, name, expected_version)
        del self._items.rows[key]

    def revision(self, tenant: str) -> int:
        return self._revisions.rows.get((tenant, ""), 0)

    def bump(self, tenant: str, expected: int | None = None) -> int:
        current = self.revision(tenant)
        if expected is not None and current != expected:
            raise Conflict(f"the routing configuration is at revision {current}, not {expected}", current_version=current)
        self._revisions.put((tenant, ""), current + 1)
        return current + 1
