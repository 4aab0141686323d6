"""Signing in and out, who am I, the second factor, identity providers, stream tickets
(docs: CONTRACT-AUTH, README "Signing in").

The browser's credential is a pair of cookies: ``oe_session`` (HttpOnly: JavaScript
never sees it) and ``oe_csrf`` (readable, echoed in ``X-CSRF-Token`` on writes). Both are
SameSite=Lax, Path=/, and Secure whenever the request came over TLS (uvicorn trusts
``X-Forwarded-Proto`` from ``forwarded_allow_ips``) or the operator says so.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from adapters.http.deps import ApiServices, authenticated, require_any, services
from adapters.http.middleware.audit import AUDITED, remote_addr
from adapters.http.middleware.authentication import CSRF_COOKIE, SESSION_COOKIE
from domain.errors import AuthenticationFailed, NotFound
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from services.identity import Actor, Client, Profile, SignedIn

router = APIRouter(prefix="/api/v1", tags=["auth"])
FLOW_COOKIE = "oe_oidc_state"
FLOW_PATH = "/api/v1/auth/oidc"

Svc = Annotated[ApiServices, Depends(services)]
Me = Annotated[Principal, Depends(authenticated)]


def me_out(profile: Profile) -> dict[str, Any]:
    """The ``Me`` document of the contract: who the caller is and what they may do."""
    p, user = profile.principal, profile.user
    return {
        "id": user.id if user else p.subject,
        "tenant": p.tenant,
        "username": user.username if user else (p.username or p.subject),
        "email": user.email if user else "",
        "name": user.name if user else (p.username or p.subject),
        "role": (user.role if user else p.effective_role).value,
        "permissions": sorted(perm.value for perm in p.permissions),
        "platform_admin": p.platform,
        "mfa_enabled": bool(user and user.mfa_enabled),
        "timezone": user.timezone if user else "UTC",
        "contacts": [c.as_dict() for c in user.contacts] if user else [],
        "teams": [{"id": t.id, "name": t.name} for t in profile.teams],
        "auth": p.auth,
    }


def client_of(request: Request) -> Client:
    return Client(remote_addr(request.scope), request.headers.get("user-agent", "")[:256])


def actor_of(request: Request, principal: Principal) -> Actor:
    setattr(request.state, AUDITED, True)  # identity routes write their own, richer entries
    return Actor.of(principal, remote_addr(request.scope))


def _secure(request: Request, svc: ApiServices) -> bool:
    return svc.identity.web.cookie_secure or request.url.scheme in ("https", "wss")


def set_session_cookies(response: Response, request: Request, svc: ApiServices, signed: SignedIn) -> None:
    secure, max_age = _secure(request, svc), svc.identity.web.session_lifetime_s
    response.set_cookie(SESSION_COOKIE, signed.token, max_age=max_age, path="/", secure=secure, httponly=True,
                        samesite="lax")
    response.set_cookie(CSRF_COOKIE, signed.csrf, max_age=max_age, path="/", secure=secure, httponly=False,
                        samesite="lax")


def clear_session_cookies(response: Response, request: Request, svc: ApiServices) -> None:
    secure = _secure(request, svc)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="lax")
    response.delete_cookie(CSRF_COOKIE, path="/", secure=secure, httponly=False, samesite="lax")


async def _signed_in(request: Request, response: Response, svc: Svc, signed: SignedIn) -> dict[str, Any]:
    setattr(request.state, AUDITED, True)  # the sign-in service wrote auth.login
    set_session_cookies(response, request, svc, signed)
    principal = signed.user.principal(auth=signed.session.auth, session_id=signed.session.id)
    return {"data": me_out(await svc.identity.accounts.profile(principal))}


# ---------------------------------------------------------------------- sign in


@router.get("/auth/providers", summary="How one can sign in here: local passwords and identity providers")
async def providers(svc: Svc) -> dict:
    # A provider whose sign-in policy admits nobody yet is left out: its button could only fail.
    return {"data": {"local": True, "providers": [
        {"id": p.id, "name": p.name, "kind": p.kind, "login_url": f"{FLOW_PATH}/{quote(p.id, safe='')}/login"}
        for p in svc.identity.providers.values() if svc.identity.sign_in.is_open(p.id)]}}


class LoginIn(BaseModel):
    username: str = Field(max_length=256)
    password: str = Field(max_length=1024)
    totp: str | None = Field(default=None, max_length=16)
    tenant: str | None = Field(default=None, max_length=63)


@router.post("/auth/login", summary="Sign in with a username and password (and TOTP code): sets the session cookies")
async def login(body: LoginIn, request: Request, response: Response, svc: Svc) -> dict:
    signed = await svc.identity.sign_in.sign_in_local(body.username, body.password, totp=body.totp or None,
                                                      tenant=body.tenant, client=client_of(request))
    return await _signed_in(request, response, svc, signed)


class SetPasswordIn(BaseModel):
    token: str = Field(max_length=256)
    password: str = Field(max_length=1024)


@router.post("/auth/set-password", summary="Set your password with an invitation's one-time token (signs you in)")
async def set_password(body: SetPasswordIn, request: Request, response: Response, svc: Svc) -> dict:
    signed = await svc.identity.sign_in.set_password_with_token(body.token, body.password, client_of(request))
    return await _signed_in(request, response, svc, signed)


@router.post("/auth/logout", status_code=204, summary="Sign out: the session is revoked and the cookies cleared")
async def logout(request: Request, principal: Me, svc: Svc) -> Response:
    response = Response(status_code=204)
    if principal.session_id is not None:
        await svc.identity.sign_in.sign_out(principal.tenant, principal.session_id, actor_of(request, principal))
    clear_session_cookies(response, request, svc)
    return response


# ---------------------------------------------------------------------- me


@router.get("/auth/me", summary="Who you are and what you may do")
async def me(principal: Me, svc: Svc) -> dict:
    return {"data": me_out(await svc.identity.accounts.profile(principal))}


class ContactIn(BaseModel):
    kind: Literal["email", "sms", "slack", "phone"]
    address: str = Field(max_length=254)


class ProfileIn(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    contacts: list[ContactIn] | None = Field(default=None, max_length=10)


@router.patch("/auth/me", summary="Change your name, time zone or notification contacts")
async def update_me(body: ProfileIn, request: Request, principal: Me, svc: Svc) -> dict:
    contacts = None if body.contacts is None else [c.model_dump() for c in body.contacts]
    profile = await svc.identity.accounts.update_profile(principal, actor_of(request, principal), name=body.name,
                                                         timezone=body.timezone, contacts=contacts)
    return {"data": me_out(profile)}


class PasswordChangeIn(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


@router.post("/auth/me/password", status_code=204, summary="Change your password (your other sessions end)")
async def change_password(body: PasswordChangeIn, request: Request, principal: Me, svc: Svc) -> Response:
    await svc.identity.accounts.change_password(principal, actor_of(request, principal), body.current_password,
                                                body.new_password)
    return Response(status_code=204)


class CodeIn(BaseModel):
    code: str = Field(max_length=16)


@router.post("/auth/me/totp", summary="Start enrolling a TOTP second factor: the secret to add to your app")
async def start_totp(request: Request, principal: Me, svc: Svc) -> dict:
    enrolment = await svc.identity.accounts.start_totp(principal, actor_of(request, principal))
    return {"data": {"secret": enrolment.secret, "otpauth_uri": enrolment.otpauth_uri}}


@router.post("/auth/me/totp/confirm", summary="Finish enrolling: a code from the app turns the second factor on")
async def confirm_totp(body: CodeIn, request: Request, principal: Me, svc: Svc) -> dict:
    profile = await svc.identity.accounts.confirm_totp(principal, actor_of(request, principal), body.code)
    return {"data": me_out(profile)}


@router.delete("/auth/me/totp", status_code=204, summary="Remove your second factor (needs a current code)")
async def disable_totp(body: CodeIn, request: Request, principal: Me, svc: Svc) -> Response:
    await svc.identity.accounts.disable_totp(principal, actor_of(request, principal), body.code)
    return Response(status_code=204)


# ---------------------------------------------------------------------- identity providers


def _safe_next(value: str | None) -> str:
    """Only a path of this site: never ``//evil.example`` or ``https://...``."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or any(
            ord(c) < 32 for c in value):
        return "/"
    return value[:2000]


def _callback_url(request: Request, svc: ApiServices, provider: str) -> str:
    base = svc.identity.web.public_url or f"{request.url.scheme}://{request.url.netloc}"
    return f"{base.rstrip('/')}{FLOW_PATH}/{quote(provider, safe='')}/callback"


def _provider(svc: ApiServices, provider: str):
    found = svc.identity.providers.get(provider)
    if found is None:
        raise NotFound(f"no identity provider {provider!r} is configured")
    return found


def _back_to_sign_in(refusal: Exception) -> RedirectResponse:
    """The sign-in page, showing why (the browser is mid-flow: no problem+json page)."""
    response = RedirectResponse(f"/login?error={quote(str(refusal)[:300])}", status_code=302)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    return response


@router.get("/auth/oidc/{provider}/login", summary="Sign in through an identity provider: redirects there")
async def oidc_login(provider: str, request: Request, svc: Svc, next: str | None = None) -> RedirectResponse:
    found = _provider(svc, provider)
    try:
        url, state = await svc.identity.sign_in.start_external(found, _callback_url(request, svc, provider),
                                                               _safe_next(next))
    except AuthenticationFailed as exc:  # a policy that admits nobody, a provider that cannot be reached
        return _back_to_sign_in(exc)
    response = RedirectResponse(url, status_code=302)
    # The state also goes to this browser: a callback carrying someone else's state (a
    # sign-in an attacker started) is refused.
    response.set_cookie(FLOW_COOKIE, state, max_age=600, path=FLOW_PATH, secure=_secure(request, svc),
                        httponly=True, samesite="lax")
    return response


@router.get("/auth/oidc/{provider}/callback", summary="Where the identity provider sends you back")
async def oidc_callback(provider: str, request: Request, svc: Svc) -> RedirectResponse:
    params = dict(request.query_params)
    try:
        found = _provider(svc, provider)
        if params.get("error"):
            raise AuthenticationFailed(params.get("error_description") or params["error"])
        if not params.get("state") or request.cookies.get(FLOW_COOKIE) != params["state"]:
            raise AuthenticationFailed("this sign-in was not started in this browser; please try again")
        signed, next_path = await svc.identity.sign_in.finish_external(found, params, client_of(request))
    except (AuthenticationFailed, NotFound) as exc:
        return _back_to_sign_in(exc)
    response = RedirectResponse(_safe_next(next_path), status_code=302)
    set_session_cookies(response, request, svc, signed)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    return response


# ---------------------------------------------------------------------- stream tickets

Reader = Annotated[Principal, Depends(require_any(Permission.READ_TELEMETRY, Permission.READ_ALERTS,
                                                  Permission.READ_INCIDENTS))]


@router.post("/stream/tickets", summary="A single-use ticket (30 s) for the WebSocket /api/v1/stream?ticket=...")
async def stream_ticket(request: Request, principal: Reader, svc: Svc) -> dict:
    setattr(request.state, AUDITED, True)  # nothing changes: no audit entry
    ticket, expires = await svc.identity.auth.issue_ticket(principal)
    return {"data": {"ticket": ticket, "expires_at_ms": expires}}

