"""Calendar feeds of on-call shifts (services/oncall_feeds.py):

- ``POST /api/v1/oncall/feeds`` makes a feed of your shifts (or, with ``oncall:manage``,
  of anyone's) and answers its secret URL, once;
- ``GET /api/v1/oncall/feeds`` lists feeds (yours; everyone's with ``oncall:manage``),
  never their URLs; ``DELETE /api/v1/oncall/feeds/{feed_id}`` revokes one;
- ``GET /api/v1/oncall/feeds/{token}.ics`` is the feed itself: no credential but the
  token in its URL, which is what calendar apps can send.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from adapters.http.deps import ApiServices, require, services
from adapters.http.ical import MEDIA_TYPE, shifts_calendar
from adapters.http.routes.auth import actor_of
from adapters.http.routes.oncall import oncall_config
from domain.errors import PermissionDenied, ValidationError
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from services.oncall_feeds import CalendarFeeds, feed_view

router = APIRouter(prefix="/api/v1/oncall/feeds", tags=["on call"])
Reader = Annotated[Principal, Depends(require(Permission.READ_INCIDENTS))]
Svc = Annotated[ApiServices, Depends(services)]
TOKEN = r"^[A-Za-z0-9_-]{40,64}$"


class FeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: str | None = Field(None, min_length=1, max_length=255,
                             description="whose shifts (a user id or username); default: yours")


def _feeds(svc: ApiServices) -> CalendarFeeds:
    return CalendarFeeds(oncall_config(svc))


async def _is_self(svc: ApiServices, principal: Principal, user: str) -> bool:
    me = principal.user_id
    return me is not None and me in await oncall_config(svc).identities(principal.tenant, user)


@router.post("", status_code=201, summary="Make a calendar feed of on-call shifts: its secret URL is shown once")
async def create_feed(body: FeedIn, principal: Reader, svc: Svc, request: Request) -> dict:
    user = body.user or principal.user_id
    if user is None:
        raise ValidationError("an API key has no shifts of its own: name the user", field="user")
    if not await _is_self(svc, principal, user) and not principal.can(Permission.MANAGE_ONCALL):
        raise PermissionDenied("a feed of someone else's shifts needs oncall:manage")
    feed, token = await _feeds(svc).create(actor_of(request, principal), principal.tenant, user)
    url = str(request.url_for("calendar_feed", token=token))
    return {"data": {**feed_view(feed), "url": url}}


@router.get("", summary="Calendar feeds (yours; everyone's for on-call admins), without their URLs")
async def list_feeds(principal: Reader, svc: Svc,
                     user: Annotated[str | None, Query(min_length=1, max_length=255)] = None) -> dict:
    feeds = await _feeds(svc).list(principal.tenant, user)
    if not principal.can(Permission.MANAGE_ONCALL):
        feeds = [f for f in feeds if f.created_by == principal.subject or await _is_self(svc, principal, f.user)]
    return {"data": [feed_view(f) for f in feeds]}


@router.delete("/{feed_id}", status_code=204, summary="Revoke a calendar feed: its URL stops working")
async def revoke_feed(feed_id: Annotated[str, Path(max_length=64)], principal: Reader, svc: Svc,
                      request: Request) -> Response:
    feeds = _feeds(svc)
    feed = await feeds.get(principal.tenant, feed_id)
    if feed.created_by != principal.subject and not await _is_self(svc, principal, feed.user):
        if not principal.can(Permission.MANAGE_ONCALL):
            raise PermissionDenied("only its owner or an on-call admin (oncall:manage) may revoke this feed")
    await feeds.revoke(actor_of(request, principal), principal.tenant, feed_id)
    return Response(status_code=204)


@router.get("/{token}.ics", name="calendar_feed", response_class=Response,
            summary="The feed: the person's shifts, two weeks back and thirteen ahead (no credential: the URL is it)")
async def calendar_feed(token: Annotated[str, Path(pattern=TOKEN)], svc: Svc) -> Response:
    feed, shifts = await _feeds(svc).shifts(token)
    body = shifts_calendar(f"On call: {feed.user}", shifts, svc.clock.now_ms())
    return Response(body, media_type=MEDIA_TYPE, headers={"Cache-Control": "private, max-age=300"})
