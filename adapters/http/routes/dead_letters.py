"""``/api/v1/dead-letters``: the messages a consumer group gave up on (after
``OBSERVER_CONSUMER_MAX_TRIES`` failures), and replaying them (services/dead_letters.py).

They hold messages of every tenant, so ``dead_letters:manage`` is a platform
permission: platform administrators, signed in (never an API key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from adapters.http.deps import ApiServices, require, services
from domain.errors import NotFound
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from services.dead_letters import DeadLetters

router = APIRouter(prefix="/api/v1/dead-letters", tags=["dead letters"])
Admin = Annotated[Principal, Depends(require(Permission.MANAGE_DEAD_LETTERS))]
Svc = Annotated[ApiServices, Depends(services)]


def _dead_letters(svc: ApiServices) -> DeadLetters:
    if svc.dead_letters is None:
        raise NotFound("dead letters are not configured in this process")
    return svc.dead_letters


@router.get("", summary="Messages the consumers gave up on, newest first")
async def list_dead_letters(
    principal: Admin, svc: Svc,
    group: Annotated[str | None, Query(description="writer, evaluator, pipeline")] = None,
    topic: Annotated[str | None, Query(description="telemetry, alerts")] = None,
    pending: Annotated[bool, Query(description="only those not replayed yet")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict:
    found = await _dead_letters(svc).list(group=group, topic=topic, include_replayed=not pending, limit=limit)
    return {"data": [d.summary() for d in found]}


@router.get("/{letter_id:path}", summary="One dead letter")
async def get_dead_letter(letter_id: str, principal: Admin, svc: Svc) -> dict:
    return {"data": (await _dead_letters(svc).get(letter_id)).summary()}


@router.post("/{letter_id:path}/replay", summary="Publish the message again where it came from")
async def replay_dead_letter(letter_id: str, principal: Admin, svc: Svc) -> dict:
    return {"data": (await _dead_letters(svc).replay(letter_id, principal.subject)).summary()}
