"""Escalation policies and on-call schedules in process memory (ports.oncall_store), a
repository of the memory unit of work."""

from __future__ import annotations

from domain.errors import Conflict, NotFound
from ports.oncall_store import CalendarFeed, OnCallRecord


class MemoryOnCallRepository:
    def __init__(self, table, seeds, feeds) -> None:
        self._t = table  # adapters.memory.repositories._Table: copies in and out
        self._seeds = seeds
        self._feeds = feeds

    def add(self, record: OnCallRecord) -> None:
        key = (record.tenant, f"{record.kind}/{record.id}")
        if key in self._t.rows:
            raise Conflict(f"{record.kind} {record.id!r} exists already")
        self._t.put(key, record)

    def get(self, tenant: str, kind: str, resource_id: str) -> OnCallRecord | None:
        return self._t.get((tenant, f"{kind}/{resource_id}"))

    def list(self, tenant: str, kind: str, *, after: str | None = None, limit: int | None = None) -> list[OnCallRecord]:
        rows = sorted(self._t.where(lambda r: r.tenant == tenant and r.kind == kind and (after is None or r.id > after)),
                      key=lambda r: r.id)
        return rows if limit is None else rows[:limit]

    def replace(self, record: OnCallRecord, expected_version: int) -> None:
        stored = self.get(record.tenant, record.kind, record.id)
        if stored is None:
            raise NotFound(f"no {record.kind} {record.id!r}")
        if stored.version != expected_version:
            raise Conflict(f"{record.kind} {record.id!r} is at version {stored.version}, not {expected_version}",
                           current_version=stored.version)
        self._t.put((record.tenant, f"{record.kind}/{record.id}"), record)

    def delete(self, tenant: str, kind: str, resource_id: str, expected_version: int | None = None) -> bool:
        stored = self.get(tenant, kind, resource_id)
        if stored is None:
            return False
        if expected_version is not None and stored.version != expected_version:
            raise Conflict(f"{kind} {resource_id!r} is at version {stored.version}, not {expected_version}",
                           current_version=stored.version)
        del self._t.rows[(tenant, f"{kind}/{resource_id}")]
        return True

    def count(self, tenant: str) -> int:
        return sum(1 for (t, _) in self._t.rows if t == tenant)

    def claim_seed(self, tenant: str, at_ms: int) -> bool:
        if (tenant, "seed") in self._seeds.rows:
            return False
        self._seeds.put((tenant, "seed"), at_ms)
        return True

    def add_feed(self, feed: CalendarFeed) -> None:
        if (feed.tenant, feed.id) in self._feeds.rows or self.feed_by_hash(feed.token_hash) is not None:
            raise Conflict(f"calendar feed {feed.id!r} exists already")
        self._feeds.put((feed.tenant, feed.id), feed)

    def feed_by_hash(self, token_hash: str) -> CalendarFeed | None:
        return next(iter(self._feeds.where(lambda f: f.token_hash == token_hash)), None)

    def feeds(self, tenant: str, user: str | None = None) -> list[CalendarFeed]:
        found = self._feeds.where(lambda f: f.tenant == tenant and (user is None or f.user == user))
        return sorted(found, key=lambda f: (f.created_at_ms, f.id))

    def delete_feed(self, tenant: str, feed_id: str) -> bool:
        return self._feeds.rows.pop((tenant, feed_id), None) is not None
