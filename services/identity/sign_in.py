"""Signing in and out: local passwords (with TOTP and the login throttle), identity
providers (OpenID Connect, GitHub) through their sign-in policy, invitations.

A local sign-in answers the same for an unknown username, a wrong password, a
deactivated user and a deactivated tenant, and spends one password hash on each (a dummy
one when there is no user), so neither the message nor the time tells which it was.
Wrong attempts are counted per (tenant, username) whether or not the user exists.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from domain.errors import AuthenticationFailed, Conflict, ValidationError
from domain.identity.external import ExternalIdentity
from domain.identity.profile import normalize_username
from domain.identity.sessions import OneTimeToken, Session, hash_token
from domain.identity.sign_in_policy import SignInPolicy
from domain.identity.throttle import ThrottleState
from domain.identity.users import ExternalAccount, User, UserStatus, check_new_password
from ports.clock import Clock
from ports.credentials import PasswordHasher, SecondFactor
from ports.identity_providers import IdentityProvider
from ports.repositories import UnitOfWork, UnitOfWorkRunner
from services.identity.audit import Actor, user_view
from services.identity.authentication import check_tenant
from services.identity.config import IdentityOptions
from services.identity.errors import LoginLocked, MfaRequired

OIDC_FLOW = "oidc_flow"
WRONG_CREDENTIALS = "wrong username or password"
_SESSION_GC_DELAY_MS = 24 * 3_600_000  # ended sessions stay listable for a day


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new browser session: the record, and the two tokens for the cookies."""

    user: User
    session: Session
    token: str
    csrf: str


@dataclass(frozen=True, slots=True)
class Client:
    """Where a sign-in comes from (kept with the session and in the audit log)."""

    remote_addr: str = ""
    user_agent: str = ""


class SignInService:
    def __init__(self, uow: UnitOfWorkRunner, clock: Clock, hasher: PasswordHasher, second_factor: SecondFactor, *,
                 policies: Mapping[str, SignInPolicy] | None = None, options: IdentityOptions | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher
        self._totp = second_factor
        self._policies = dict(policies or {})
        self._options = options or IdentityOptions()
        self._dummy_hash: str | None = None

    # ------------------------------------------------------------------ local

    async def sign_in_local(self, username: str, password: str, *, totp: str | None = None,
                            tenant: str | None = None, client: Client = Client()) -> SignedIn:
        tenant = tenant or self._options.default_tenant
        try:
            username = normalize_username(username)
        except ValidationError:
            raise AuthenticationFailed(WRONG_CREDENTIALS) from None
        key = f"{tenant}/{username}"
        now = self._clock.now_ms()
        throttle = self._options.throttle

        def look(uow: UnitOfWork) -> tuple[User | None, bool]:
            wait = throttle.retry_after_ms(uow.login_throttle.get(key) or ThrottleState(), now)
            if wait:
                raise LoginLocked(wait / 1000)
            found = uow.tenants.get(tenant)
            return uow.users.by_username(tenant, username), found is not None and found.active

        user, tenant_active = await self._uow.run(look)
        encoded = user.password_hash if user is not None and user.password_hash else await self._dummy()
        matches = await asyncio.to_thread(self._hasher.verify, password if isinstance(password, str) else "", encoded)
        valid = matches and user is not None and user.active and user.password_hash is not None and tenant_active
        step = None
        if valid and user is not None and user.mfa_enabled:
            assert user.totp is not None
            if not totp:
                raise MfaRequired()
            step = self._totp.verify(user.totp.secret, totp, now, user.totp.last_step)
            valid = step is not None
        if not valid:
            await self._failed(key, tenant, username, client)
        assert user is not None

        def succeed(uow: UnitOfWork) -> SignedIn:
            uow.login_throttle.delete(key)
            current = uow.users.get(tenant, user.id)
            if current is None or not current.active:
                raise AuthenticationFailed(WRONG_CREDENTIALS)
            if step is not None:
                last = current.totp.last_step if current.totp is not None else None
                if current.totp is None or (last is not None and step <= last):
                    raise AuthenticationFailed(WRONG_CREDENTIALS)  # the same code, used meanwhile
                current = replace(current, totp=replace(current.totp, last_step=step))
            return self._open_session(uow, current, "local", step is not None, client, now)

        return await self._uow.run(succeed)

    async def _failed(self, key: str, tenant: str, username: str, client: Client) -> NoReturn:
        """Count the failure (re-read: two failing at once both count), audit it, refuse."""
        now, throttle = self._clock.now_ms(), self._options.throttle

        def work(uow: UnitOfWork) -> int:
            state = throttle.failed(uow.login_throttle.get(key) or ThrottleState(), now)
            uow.login_throttle.save(key, state, throttle.forget_at_ms(state))
            if uow.tenants.get(tenant) is not None:
                actor = Actor(f"login:{username}"[:255], username, "", client.remote_addr)
                uow.audit.add(actor.entry(tenant, "auth.login_failed", f"username:{username}", now))
            return throttle.retry_after_ms(state, now)

        wait = await self._uow.run(work)
        if wait:
            raise LoginLocked(wait / 1000)
        raise AuthenticationFailed(WRONG_CREDENTIALS)

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(self._hasher.hash, secrets.token_urlsafe(24))
        return self._dummy_hash

    def _open_session(self, uow: UnitOfWork, user: User, auth: str, mfa: bool, client: Client, now: int) -> SignedIn:
        uow.sessions.purge(now - _SESSION_GC_DELAY_MS)
        uow.login_throttle.purge(now)
        signed = user.signed_in(now, mfa=mfa)
        uow.users.save(signed)
        session, token, csrf = Session.start(
            user.tenant, user.id, auth, now, idle_ms=self._options.session_idle_ms,
            lifetime_ms=self._options.session_lifetime_ms, mfa=mfa, remote_addr=client.remote_addr,
            user_agent=client.user_agent)
        uow.sessions.add(session)
        actor = Actor(user.id, user.username, user.tenant, client.remote_addr)
        uow.audit.add(actor.entry(user.tenant, "auth.login", f"session:{session.id}", now,
                                  after={"auth": auth, "mfa": mfa}))
        return SignedIn(signed, session, token, csrf)

    # ------------------------------------------------------------------ sign out

    async def sign_out(self, tenant: str, session_id: str, actor: Actor) -> None:
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> None:
            session = uow.sessions.get(tenant, session_id)
            if session is not None and session.revoked_at_ms is None:
                uow.sessions.save(session.revoke(now))
                uow.audit.add(actor.entry(tenant, "auth.logout", f"session:{session_id}", now))

        await self._uow.run(work)

    # ------------------------------------------------------------------ invitations

    async def set_password_with_token(self, token: str, password: str, client: Client = Client()) -> SignedIn:
        """Accept an invitation (or a password reset): set the password, sign in."""
        now = self._clock.now_ms()
        token_hash = hash_token(token or "")
        user = await self._uow.run(lambda uow: uow.users.by_invite_token(token_hash))
        if user is None or not user.invitation_valid(token_hash, now):
            raise AuthenticationFailed("this invitation link is unknown, used or expired; ask an admin for a new one")
        check_new_password(password, username=user.username, email=user.email)
        encoded = await asyncio.to_thread(self._hasher.hash, password)

        def work(uow: UnitOfWork) -> SignedIn:
            current = uow.users.by_invite_token(token_hash)
            if current is None or not current.invitation_valid(token_hash, now):
                raise AuthenticationFailed("this invitation link was used meanwhile")
            check_tenant(uow, current.tenant)
            updated = current.set_password(encoded)
            actor = Actor(current.id, current.username, current.tenant, client.remote_addr)
            uow.audit.add(actor.entry(current.tenant, "user.set_password", f"user:{current.id}", now,
                                      before={"status": current.status.value}, after={"status": updated.status.value}))
            return self._open_session(uow, updated, "local", False, client, now)

        return await self._uow.run(work)

    # ------------------------------------------------------------------ identity providers

    def policy(self, provider: str) -> SignInPolicy:
        """``provider``'s sign-in policy; a provider without one admits nobody."""
        found = self._policies.get(provider)
        if found is None:
            raise AuthenticationFailed(
                f"sign-in through {provider!r} is not configured: an administrator must give it a sign-in policy "
                "(allowed_email_domains, allowed_groups or default_role in its OBSERVER_IDENTITY_PROVIDERS entry)")
        return found

    def is_open(self, provider: str) -> bool:
        """Whether anyone may sign in through ``provider`` (the sign-in page offers only those)."""
        found = self._policies.get(provider)
        return found is not None and found.admits_anyone

    async def start_external(self, provider: IdentityProvider, redirect_uri: str, next_path: str) -> tuple[str, str]:
        """Begin a provider's sign-in: ``(where to send the browser, state)``. What the
        callback needs (PKCE verifier, nonce) stays here, keyed by the state. A provider
        whose policy admits nobody is refused before the browser goes there."""
        self.policy(provider.id).check_open()
        start = await provider.start(redirect_uri)
        now = self._clock.now_ms()
        payload: dict[str, Any] = {"provider": provider.id, "flow": dict(start.flow), "next": next_path}

        def work(uow: UnitOfWork) -> None:
            uow.one_time_tokens.purge(now)
            uow.one_time_tokens.add(OneTimeToken(OIDC_FLOW, hash_token(start.state), now + self._options.flow_ttl_ms,
                                                 payload))

        await self._uow.run(work)
        return start.redirect_url, start.state

    async def finish_external(self, provider: IdentityProvider, callback: Mapping[str, str],
                              client: Client = Client()) -> tuple[SignedIn, str]:
        """Complete it from the callback's query: ``(the session, the path to go to)``."""
        state, now = callback.get("state") or "", self._clock.now_ms()
        flow = await self._uow.run(lambda uow: uow.one_time_tokens.take(OIDC_FLOW, hash_token(state), now))
        if flow is None or flow.payload.get("provider") != provider.id:
            raise AuthenticationFailed("this sign-in expired or was already used; please try again")
        identity = await provider.finish(flow.payload["flow"], callback)
        return await self.sign_in_external(provider.id, identity, client), flow.payload["next"]

    async def sign_in_external(self, provider: str, identity: ExternalIdentity, client: Client = Client()) -> SignedIn:
        """Sign in someone a provider vouched for: the linked user, else the user of the
        tenant with the same verified email (linked now), else a new user with the
        policy's role (if the policy creates users)."""
        policy = self.policy(provider)
        policy.admit(identity)
        now = self._clock.now_ms()
        account = ExternalAccount(provider, identity.issuer, identity.subject)

        def work(uow: UnitOfWork) -> SignedIn:
            check_tenant(uow, policy.tenant)
            user = uow.users.by_external(policy.tenant, identity.issuer, identity.subject)
            if user is None:
                user = self._link_or_create(uow, policy, identity, account, now)
            if not user.active:
                raise AuthenticationFailed("your account here is deactivated")
            return self._open_session(uow, user, f"oidc:{provider}", identity.multi_factor, client, now)

        return await self._uow.run(work)

    def _link_or_create(self, uow: UnitOfWork, policy: SignInPolicy, identity: ExternalIdentity,
                        account: ExternalAccount, now: int) -> User:
        actor = Actor.system(f"sign-in through {account.provider}")
        verified = identity.email if identity.email and identity.email_verified else None
        existing = uow.users.by_email(policy.tenant, verified) if verified else None
        if existing is not None:
            if existing.status is UserStatus.DEACTIVATED:
                raise AuthenticationFailed("your account here is deactivated")
            linked = existing.link(account)
            uow.users.save(linked)
            uow.audit.add(actor.entry(policy.tenant, "user.link", f"user:{linked.id}", now,
                                      after={"provider": account.provider, "status": linked.status.value}))
            return linked
        if not policy.create_users:
            raise AuthenticationFailed("you have no account here yet; ask an administrator to invite you")
        if not identity.email:
            raise AuthenticationFailed("your identity provider did not tell us your email address")
        user = User(
            id=f"usr_{secrets.token_hex(8)}", tenant=policy.tenant,
            username=self._free_username(uow, policy.tenant, identity), email=identity.email,
            name=(identity.name or identity.username or identity.email)[:200], role=policy.role_for(identity),
            created_at_ms=now, external_accounts=frozenset({account}),
        )
        try:
            uow.users.add(user)
        except Conflict:
            raise AuthenticationFailed(
                "an account with your email exists here; ask an administrator to link it") from None
        uow.audit.add(actor.entry(policy.tenant, "user.create", f"user:{user.id}", now, after=user_view(user)))
        return user

    @staticmethod
    def _free_username(uow: UnitOfWork, tenant: str, identity: ExternalIdentity) -> str:
        raw = identity.username or (identity.email or "").split("@")[0] or identity.subject
        base = "".join(c for c in raw.lower() if c.isalnum() or c in "._@-").lstrip("._@-")[:56] or "user"
        name, n = base, 1
        while uow.users.by_username(tenant, name) is not None:
            n += 1
            name = f"{base}-{n}"
        return name
