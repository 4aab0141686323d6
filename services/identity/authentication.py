"""Who is calling: API keys, bearer JWTs from configured issuers, browser sessions and
WebSocket tickets, each resolved to a ``Principal`` (or ``AuthenticationFailed``).

Every credential is checked against the state of things now, in one unit of work: the
key or session is active, its user is active, its tenant is active. A role change or a
deactivation therefore applies from the next request on. The one exception is an API
key verified in the last few seconds (``VerifiedKeys``): the services that change
credentials make every process forget the tenant's remembered keys, and a lost
announcement is bounded by the cache's lifetime.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.errors import AuthenticationFailed, ValidationError
from domain.identity.api_keys import parse_api_key
from domain.identity.external import ExternalIdentity
from domain.identity.principal import MAX_SUBJECT_LENGTH, Principal
from domain.identity.sessions import OneTimeToken, Session, hash_token, new_token
from domain.identity.sign_in_policy import SignInPolicy
from ports.clock import Clock
from ports.identity_providers import BearerTokenVerifier
from ports.repositories import UnitOfWork, UnitOfWorkRunner
from services.identity.config import IdentityOptions
from services.identity.verified_keys import VerifiedKeys, credential_digest

STREAM_TICKET = "stream_ticket"
_REFUSED_SESSION = "your session has ended; sign in again"


def check_tenant(uow: UnitOfWork, tenant: str) -> None:
    """Raise unless ``tenant`` exists and is active (a deactivated tenant's credentials
    are all refused)."""
    found = uow.tenants.get(tenant)
    if found is None or not found.active:
        raise AuthenticationFailed(f"tenant {tenant!r} is deactivated or does not exist")


def external_principal(uow: UnitOfWork, policy: SignInPolicy, identity: ExternalIdentity) -> Principal:
    """The principal a verified bearer JWT acts as: the user linked to its account (their
    role and status), else a service account with the policy's role for its groups."""
    check_tenant(uow, policy.tenant)
    user = uow.users.by_external(policy.tenant, identity.issuer, identity.subject)
    if user is not None:
        if not user.active:
            raise AuthenticationFailed("the account this token belongs to is deactivated")
        return user.principal(auth="jwt")
    policy.admit(identity)
    subject = f"jwt:{identity.provider}:{identity.subject}"[:MAX_SUBJECT_LENGTH]
    name = identity.username or identity.email or identity.subject
    return Principal(policy.tenant, subject, policy.role_for(identity), username=name, auth="jwt")


@dataclass(frozen=True, slots=True)
class SessionAuth:
    principal: Principal
    session: Session


class Authenticator:
    def __init__(self, uow: UnitOfWorkRunner, clock: Clock, *, verifiers: Sequence[BearerTokenVerifier] = (),
                 policies: Mapping[str, SignInPolicy] | None = None, options: IdentityOptions | None = None,
                 verified_keys: VerifiedKeys | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._verified = verified_keys if verified_keys is not None else VerifiedKeys(ttl_ms=0)
        self._verifiers = tuple(verifiers)
        self._policies = dict(policies or {})
        self._options = options or IdentityOptions()

    # ------------------------------------------------------------------ bearer

    async def bearer(self, credential: str | None) -> Principal:
        """An ``Authorization: Bearer`` credential: an API key (``oe_...``) or a JWT from
        a configured issuer."""
        if not credential or not credential.strip():
            raise AuthenticationFailed("credential required: sign in, or send 'Authorization: Bearer <API key>'")
        credential = credential.strip()
        if credential.startswith("oe_"):
            return await self.api_key(credential)
        return await self.jwt(credential)

    async def api_key(self, plaintext: str) -> Principal:
        try:
            prefix, _ = parse_api_key(plaintext)
        except ValidationError as exc:
            raise AuthenticationFailed(exc.message) from None
        now = self._clock.now_ms()
        digest = credential_digest(plaintext)
        remembered = self._verified.get(digest, now)
        if remembered is not None:
            return remembered

        def work(uow: UnitOfWork) -> tuple[Principal, int | None]:
            key = uow.api_keys.by_prefix(prefix)
            if key is None or not key.verify(plaintext, now):
                raise AuthenticationFailed("API key is unknown, revoked or expired")
            check_tenant(uow, key.tenant)
            return key.principal(), key.expires_at_ms

        principal, expires_at_ms = await self._uow.run(work)
        self._verified.put(digest, principal, now, expires_at_ms)
        return principal

    async def jwt(self, token: str) -> Principal:
        verifier = next((v for v in self._verifiers if v.accepts(token)), None)
        if verifier is None:
            raise AuthenticationFailed("bearer token is neither an API key nor a JWT from a configured issuer")
        identity = await verifier.verify(token)
        policy = self._policies.get(identity.provider)
        if policy is None:
            raise AuthenticationFailed(f"no sign-in policy for provider {identity.provider!r}")
        return await self._uow.run(lambda uow: external_principal(uow, policy, identity))

    # ------------------------------------------------------------------ sessions

    async def session(self, token: str) -> SessionAuth:
        """The browser session of the ``oe_session`` cookie, touched (sliding idle timeout)."""
        if not token or len(token) > 256:
            raise AuthenticationFailed(_REFUSED_SESSION)
        token_hash, now = hash_token(token), self._clock.now_ms()

        def work(uow: UnitOfWork) -> SessionAuth:
            session = uow.sessions.by_token(token_hash)
            if session is None or not session.is_active(now):
                raise AuthenticationFailed(_REFUSED_SESSION)
            user = uow.users.get(session.tenant, session.user_id)
            if user is None or not user.active:
                raise AuthenticationFailed("your account is deactivated")
            check_tenant(uow, session.tenant)
            touched = session.touched(now)
            if touched is not session:
                uow.sessions.save(touched)
            return SessionAuth(user.principal(auth=session.auth, session_id=session.id), touched)

        return await self._uow.run(work)

    # ------------------------------------------------------------------ tickets

    async def issue_ticket(self, principal: Principal) -> tuple[str, int]:
        """A single-use ticket for the WebSocket (browsers cannot send headers there):
        ``(ticket, expires_at_ms)``. Redeeming it re-checks the credential behind it."""
        now = self._clock.now_ms()
        ticket, expires = new_token(), now + self._options.ticket_ttl_ms
        payload: dict[str, Any] = {
            "tenant": principal.tenant, "subject": principal.subject, "role": principal.role.value,
            "scopes": None if principal.scopes is None else sorted(s.value for s in principal.scopes),
            "username": principal.username, "auth": principal.auth, "session_id": principal.session_id,
            "platform_admin": principal.platform_admin,
        }

        def work(uow: UnitOfWork) -> None:
            uow.one_time_tokens.purge(now)
            uow.one_time_tokens.add(OneTimeToken(STREAM_TICKET, hash_token(ticket), expires, payload))

        await self._uow.run(work)
        return ticket, expires

    async def redeem_ticket(self, ticket: str) -> Principal:
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> Principal:
            found = uow.one_time_tokens.take(STREAM_TICKET, hash_token(ticket), now) if ticket else None
            if found is None:
                raise AuthenticationFailed("the stream ticket is unknown, used or expired; ask for a new one")
            p = found.payload
            check_tenant(uow, p["tenant"])
            if p.get("session_id"):
                session = uow.sessions.get(p["tenant"], p["session_id"])
                if session is None or not session.is_active(now):
                    raise AuthenticationFailed(_REFUSED_SESSION)
            if p["subject"].startswith("api_key:"):
                key = uow.api_keys.get(p["tenant"], p["subject"].removeprefix("api_key:"))
                if key is None or not key.is_active(now):
                    raise AuthenticationFailed("API key is unknown, revoked or expired")
            elif not p["subject"].startswith("jwt:"):
                user = uow.users.get(p["tenant"], p["subject"])
                if user is None or not user.active:
                    raise AuthenticationFailed("your account is deactivated")
                return user.principal(auth=p["auth"], session_id=p.get("session_id"))
            return Principal(p["tenant"], p["subject"], p["role"], p["scopes"], username=p.get("username"),
                             auth=p["auth"], session_id=p.get("session_id"), platform_admin=p["platform_admin"])

        return await self._uow.run(work)
