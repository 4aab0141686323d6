"""Calendar feeds: a person's shifts as a secret URL a calendar app subscribes to.

Making a feed returns its URL token once; only the token's hash is stored, so a leaked
database does not leak feeds, and deleting the feed revokes the URL. The feed shows the
person's shifts in every schedule from two weeks back to thirteen weeks ahead
(``WINDOW``: 104 days), recomputed on every fetch, so a changed schedule or a new
override shows up at the calendar app's next refresh. Making and revoking are audited.
"""

from __future__ import annotations

import secrets

from domain.errors import LimitExceeded, NotFound
from domain.identity import hash_token
from domain.incidents.oncall import Schedule, Shift
from ports.oncall_store import CalendarFeed
from ports.repositories import UnitOfWork
from services.identity import Actor
from services.oncall_config import OnCallConfigService, check_people
from services.oncall_views import DAY_MS, OnCallViews

BEHIND_MS = 14 * DAY_MS
AHEAD_MS = 90 * DAY_MS
MAX_FEEDS_PER_USER = 20


def feed_view(feed: CalendarFeed) -> dict:
    return {"id": feed.id, "user": feed.user, "created_by": feed.created_by, "created_at_ms": feed.created_at_ms}


class CalendarFeeds:
    def __init__(self, config: OnCallConfigService) -> None:
        self._config = config
        self._uow = config.uow
        self._clock = config.clock

    async def create(self, actor: Actor, tenant: str, user: str) -> tuple[CalendarFeed, str]:
        """A new feed of ``user``'s shifts and its secret token (shown this once)."""
        token = secrets.token_urlsafe(32)
        now = self._clock.now_ms()
        feed = CalendarFeed(f"feed-{secrets.token_hex(8)}", tenant, user, hash_token(token), actor.subject, now)

        def work(uow: UnitOfWork) -> None:
            check_people(uow, tenant, [("user", user)])
            if len(uow.oncall.feeds(tenant, user)) >= MAX_FEEDS_PER_USER:
                raise LimitExceeded(f"{user!r} has {MAX_FEEDS_PER_USER} calendar feeds already: revoke one first",
                                    field="user", limit="max_feeds_per_user", value=MAX_FEEDS_PER_USER)
            uow.oncall.add_feed(feed)
            uow.audit.add(actor.entry(tenant, "oncall.feed.create", f"feed:{feed.id}", now, after=feed_view(feed)))

        await self._uow.run(work)
        return feed, token

    async def list(self, tenant: str, user: str | None = None) -> list[CalendarFeed]:
        return await self._uow.run(lambda u: u.oncall.feeds(tenant, user))

    async def get(self, tenant: str, feed_id: str) -> CalendarFeed:
        found = [f for f in await self.list(tenant) if f.id == feed_id]
        if not found:
            raise NotFound(f"no calendar feed {feed_id!r}")
        return found[0]

    async def revoke(self, actor: Actor, tenant: str, feed_id: str) -> None:
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> None:
            feed = next((f for f in uow.oncall.feeds(tenant) if f.id == feed_id), None)
            if feed is None or not uow.oncall.delete_feed(tenant, feed_id):
                raise NotFound(f"no calendar feed {feed_id!r}")
            uow.audit.add(actor.entry(tenant, "oncall.feed.revoke", f"feed:{feed_id}", now, before=feed_view(feed)))

        await self._uow.run(work)

    async def shifts(self, token: str) -> tuple[CalendarFeed, list[tuple[Schedule, Shift]]]:
        """The feed a token opens and its shifts now (``NotFound`` for an unknown or
        revoked token: the same answer either way)."""
        feed = await self._uow.run(lambda u: u.oncall.feed_by_hash(hash_token(token)))
        if feed is None:
            raise NotFound("no such calendar feed (revoked, or never made)")
        now = self._clock.now_ms()
        return feed, await OnCallViews(self._config).calendar(feed.tenant, feed.user, now - BEHIND_MS, now + AHEAD_MS)
