"""The signed-in caller's own preferences: ``/api/v1/me/preferences`` (the dashboard's
tile layout and UI choices; services/preferences.py).

Any authenticated caller reads and writes its own (keyed by its subject), never
another's. ``GET`` answers version 0 with empty preferences when none are saved; the
version goes out as ``ETag``. ``PUT`` replaces the document and names the version it
read (``version`` in the body or ``If-Match``; 0 for the first save): 428 without one,
409 naming ``current_version`` when it is stale; an invalid tile or preference is a
422 problem naming the field, a limit exceeded names the limit.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from adapters.http.deps import ApiServices, authenticated, services
from adapters.http.middleware.audit import AUDITED
from adapters.http.resources import IfMatch, expected_version, set_etag
from domain.dashboards.preferences import UserPreferences, preferences_view
from domain.errors import NotFound
from domain.identity.principal import Principal
from services.preferences import PreferenceService

router = APIRouter(prefix="/api/v1/me/preferences", tags=["preferences"])
Caller = Annotated[Principal, Depends(authenticated)]
Svc = Annotated[ApiServices, Depends(services)]


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dashboard_layout: list[Any] | None = Field(
        None, description="the dashboard's tiles in order, each {id, kind, w, h}; null for the default layout")
    ui: dict[str, Any] = Field(default_factory=dict, description="named UI choices (JSON values)")
    version: int | None = Field(None, ge=0, description="the version you read (0: none saved yet), or send If-Match")


def _svc(svc: ApiServices) -> PreferenceService:
    if svc.preferences is None:
        raise NotFound("user preferences are not configured")
    return svc.preferences


def _one(response: Response, prefs: UserPreferences) -> dict[str, Any]:
    set_etag(response, prefs.version)
    return {"data": preferences_view(prefs)}


@router.get("", summary="Your preferences: the dashboard's layout and UI choices (version as ETag)")
async def get_preferences(principal: Caller, svc: Svc, response: Response) -> dict:
    return _one(response, await _svc(svc).get(principal.tenant, principal.subject))


@router.put("", summary="Replace your preferences (name the version you read; 0 for the first save)")
async def put_preferences(body: PreferencesIn, request: Request, principal: Caller, svc: Svc, response: Response,
                          if_match: IfMatch = None) -> dict:
    setattr(request.state, AUDITED, True)  # one's own UI choices: not an audited change (services/preferences.py)
    version = expected_version(body.version, if_match)
    saved = await _svc(svc).save(principal.tenant, principal.subject, body.dashboard_layout, body.ui, version)
    return _one(response, saved)
