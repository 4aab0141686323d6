"""The identity services wired on in-memory adapters, a fake clock, a real (cheap)
scrypt hasher and the real TOTP adapter."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import pyotp
import pytest

from tests.support.clock import FakeClock
from adapters.memory.cache import MemoryPubSub
from adapters.memory.passwords import ScryptPasswordHasher
from adapters.memory.repositories import MemoryUnitOfWorkRunner
from adapters.totp import TotpAuthenticator
from domain.errors import AuthenticationFailed
from domain.identity import ExternalIdentity, Principal, SignInPolicy
from domain.identity.tenants import Tenant
from services.identity import (
    AccountService,
    Actor,
    ApiKeyService,
    AuditService,
    Authenticator,
    IdentityOptions,
    SignInService,
    TenantService,
)
from services.identity.verified_keys import VerifiedKeys

NOW = 1_800_000_000_000
T = "acme"
PASSWORD = "correct horse battery staple"


class FakeVerifier:
    """A BearerTokenVerifier test double: ``jwt.<name>`` tokens name an identity it was given."""

    def __init__(self, identities: Mapping[str, ExternalIdentity]) -> None:
        self.identities = dict(identities)

    def accepts(self, token: str) -> bool:
        return token.startswith("jwt.")

    async def verify(self, token: str) -> ExternalIdentity:
        try:
            return self.identities[token.removeprefix("jwt.")]
        except KeyError:
            raise AuthenticationFailed("token signature does not verify") from None


@dataclass
class Rig:
    clock: FakeClock
    uow: MemoryUnitOfWorkRunner
    totp: TotpAuthenticator
    auth: Authenticator
    sign_in: SignInService
    accounts: AccountService
    keys: ApiKeyService
    tenants: TenantService
    audit: AuditService
    verifier: FakeVerifier
    admin: Principal = field(init=False)
    verified: VerifiedKeys = field(init=False)

    async def user(self, username: str, role: str = "responder", password: str | None = PASSWORD, tenant: str = T):
        if password is None:
            return (await self.accounts.invite(tenant, Actor.system(), username=username,
                                               email=f"{username}@example.com", name=username.title(), role=role)).user
        return await self.accounts.create_user(tenant, Actor.system(), username=username,
                                               email=f"{username}@example.com", name=username.title(), role=role,
                                               password=password)

    def code(self, secret: str, offset_s: int = 0) -> str:
        return pyotp.TOTP(secret).at(self.clock.now_ms() // 1000 + offset_s)


POLICIES = {
    "kc": SignInPolicy("kc", T, role_from_groups={"oe-admins": "admin", "oe-responders": "responder"},
                       default_role="viewer"),
    "closed": SignInPolicy("closed", T, role_from_groups={"oe-admins": "admin"}),  # names nobody who may come in
    "strict": SignInPolicy("strict", T, allowed_email_domains=frozenset({"example.com"}), create_users=False),
}


@pytest.fixture
async def rig() -> Rig:
    clock = FakeClock(NOW)
    uow = MemoryUnitOfWorkRunner()
    hasher = ScryptPasswordHasher(n=2**10)  # real scrypt, cheap parameters for the tests' speed
    totp = TotpAuthenticator(os.urandom(32))
    options = IdentityOptions(default_tenant=T)
    verifier = FakeVerifier({})
    # Keys are remembered as in production: every test here also checks that a change
    # of credentials through the services is seen by the next request.
    verified = VerifiedKeys(ttl_ms=5_000, pubsub=MemoryPubSub())
    accounts = AccountService(uow, clock, hasher, totp, options, verified_keys=verified)
    rig = Rig(
        clock, uow, totp,
        Authenticator(uow, clock, verifiers=[verifier], policies=POLICIES, options=options, verified_keys=verified),
        SignInService(uow, clock, hasher, totp, policies=POLICIES, options=options),
        accounts, ApiKeyService(uow, clock, verified), TenantService(uow, clock, accounts, options, verified_keys=verified),
        AuditService(uow, clock), verifier,
    )
    rig.verified = verified
    await uow.run(lambda u: [u.tenants.add(Tenant(T, "Acme", created_at_ms=NOW)),
                             u.tenants.add(Tenant("globex", "Globex", created_at_ms=NOW))])
    admin = await rig.user("root", "admin")
    rig.admin = admin.principal()
    return rig
