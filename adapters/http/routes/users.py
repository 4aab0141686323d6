"""Users and teams of the caller's tenant (admins manage; everyone may see the teams)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from adapters.http.deps import ApiServices, require, services
from adapters.http.routes.auth import actor_of
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from domain.identity.users import UserStatus
from services.identity import Invitation
from services.identity.audit import team_view, user_view

router = APIRouter(prefix="/api/v1", tags=["users"])
Svc = Annotated[ApiServices, Depends(services)]
UserAdmin = Annotated[Principal, Depends(require(Permission.MANAGE_USERS))]
TeamReader = Annotated[Principal, Depends(require(Permission.READ_TEAMS))]
TeamAdmin = Annotated[Principal, Depends(require(Permission.MANAGE_TEAMS))]
RoleName = Literal["viewer", "responder", "admin"]


def invitation_out(invitation: Invitation) -> dict:
    """The one-time token, shown once: the person sets their password with it
    (``POST /api/v1/auth/set-password``)."""
    return {"user": user_view(invitation.user),
            "invitation": {"token": invitation.token, "expires_at_ms": invitation.expires_at_ms}}


# ------------------------------------------------------------------------ users


@router.get("/users", summary="The users of your tenant")
async def list_users(principal: UserAdmin, svc: Svc,
                     status: Annotated[list[UserStatus], Query()] = []) -> dict:
    return {"data": [user_view(u) for u in await svc.identity.accounts.list_users(principal.tenant, status)]}


class InviteIn(BaseModel):
    username: str = Field(max_length=64)
    email: str = Field(max_length=254)
    name: str = Field(max_length=200)
    role: RoleName = "viewer"


@router.post("/users", status_code=201, summary="Invite a user: answers the one-time token to set a password with")
async def invite(body: InviteIn, request: Request, principal: UserAdmin, svc: Svc) -> dict:
    invitation = await svc.identity.accounts.invite(principal.tenant, actor_of(request, principal),
                                                    username=body.username, email=body.email, name=body.name,
                                                    role=body.role)
    return {"data": invitation_out(invitation)}


@router.get("/users/{user_id}", summary="One user")
async def get_user(user_id: str, principal: UserAdmin, svc: Svc) -> dict:
    return {"data": user_view(await svc.identity.accounts.get_user(principal.tenant, user_id))}


class UserChangeIn(BaseModel):
    role: RoleName


@router.patch("/users/{user_id}", summary="Change a user's role (their keys beyond the new role are revoked)")
async def change_user(user_id: str, body: UserChangeIn, request: Request, principal: UserAdmin, svc: Svc) -> dict:
    user = await svc.identity.accounts.set_role(principal.tenant, actor_of(request, principal), user_id, body.role)
    return {"data": user_view(user)}


@router.post("/users/{user_id}/deactivate", summary="Deactivate: sessions end, owned API keys are revoked")
async def deactivate_user(user_id: str, request: Request, principal: UserAdmin, svc: Svc) -> dict:
    user = await svc.identity.accounts.deactivate(principal.tenant, actor_of(request, principal), user_id)
    return {"data": user_view(user)}


@router.post("/users/{user_id}/reactivate", summary="Reactivate a deactivated user")
async def reactivate_user(user_id: str, request: Request, principal: UserAdmin, svc: Svc) -> dict:
    user = await svc.identity.accounts.reactivate(principal.tenant, actor_of(request, principal), user_id)
    return {"data": user_view(user)}


@router.post("/users/{user_id}/reset-password", summary="A new one-time token to set a password with")
async def reset_password(user_id: str, request: Request, principal: UserAdmin, svc: Svc) -> dict:
    invitation = await svc.identity.accounts.reset_password(principal.tenant, actor_of(request, principal), user_id)
    return {"data": invitation_out(invitation)}


@router.post("/users/{user_id}/reset-mfa", summary="Remove a user's second factor (they enrol again)")
async def reset_mfa(user_id: str, request: Request, principal: UserAdmin, svc: Svc) -> dict:
    user = await svc.identity.accounts.reset_mfa(principal.tenant, actor_of(request, principal), user_id)
    return {"data": user_view(user)}


# ------------------------------------------------------------------------ teams


@router.get("/teams", summary="The teams of your tenant")
async def list_teams(principal: TeamReader, svc: Svc, member: str | None = None) -> dict:
    return {"data": [team_view(t) for t in await svc.identity.accounts.list_teams(principal.tenant, member)]}


class TeamIn(BaseModel):
    id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=1000)
    members: list[str] = Field(default=[], max_length=1000)


@router.post("/teams", status_code=201, summary="Create a team")
async def create_team(body: TeamIn, request: Request, principal: TeamAdmin, svc: Svc) -> dict:
    team = await svc.identity.accounts.create_team(principal.tenant, actor_of(request, principal), team_id=body.id,
                                                   name=body.name, description=body.description, members=body.members)
    return {"data": team_view(team)}


@router.get("/teams/{team_id}", summary="One team")
async def get_team(team_id: str, principal: TeamReader, svc: Svc) -> dict:
    return {"data": team_view(await svc.identity.accounts.get_team(principal.tenant, team_id))}


class TeamChangeIn(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    members: list[str] | None = Field(default=None, max_length=1000)


@router.patch("/teams/{team_id}", summary="Rename a team, describe it, or set its members")
async def change_team(team_id: str, body: TeamChangeIn, request: Request, principal: TeamAdmin, svc: Svc) -> dict:
    team = await svc.identity.accounts.update_team(principal.tenant, actor_of(request, principal), team_id,
                                                   name=body.name, description=body.description, members=body.members)
    return {"data": team_view(team)}


@router.delete("/teams/{team_id}", status_code=204, summary="Delete a team")
async def delete_team(team_id: str, request: Request, principal: TeamAdmin, svc: Svc) -> Response:
    await svc.identity.accounts.delete_team(principal.tenant, actor_of(request, principal), team_id)
    return Response(status_code=204)
