"""Sign-in through identity providers and bearer JWTs, through the sign-in policies
(the providers themselves are test doubles of ports.identity_providers)."""

from __future__ import annotations

import pytest

from domain.errors import AuthenticationFailed
from domain.identity import ExternalIdentity, Role, UserStatus
from ports.identity_providers import LoginStart
from services.identity import Actor, Client
from tests.unit.services.identity.conftest import T


def ident(subject="s-1", email="ada@example.com", groups=("oe-responders",), **kw) -> ExternalIdentity:
    return ExternalIdentity(**{"provider": "kc", "issuer": "https://kc.example.com", "subject": subject,
                               "email": email, "email_verified": True, "name": "Ada Lovelace",
                               "username": "ada", "groups": groups, **kw})


async def test_a_first_sign_in_creates_the_user_with_the_role_of_their_groups_later_ones_keep_it(rig):
    first = await rig.sign_in.sign_in_external("kc", ident(groups=("oe-admins",), amr=("pwd", "otp")))
    user = first.user
    assert (user.username, user.role, user.status, user.name) == ("ada", Role.ADMIN, UserStatus.ACTIVE, "Ada Lovelace")
    assert first.session.auth == "oidc:kc" and first.session.mfa and user.last_sign_in_mfa
    await rig.accounts.set_role(T, Actor.of(rig.admin), user.id, "viewer")
    again = await rig.sign_in.sign_in_external("kc", ident(groups=("oe-admins",)))
    assert again.user.id == user.id and again.user.role is Role.VIEWER and not again.user.last_sign_in_mfa
    principal = (await rig.auth.session(again.token)).principal
    assert principal.auth == "oidc:kc" and principal.username == "ada"


async def test_a_verified_email_links_an_invited_user(rig):
    invited = await rig.accounts.invite(T, Actor.system(), username="lovelace", email="Ada@example.com", name="Ada",
                                        role="responder")
    signed = await rig.sign_in.sign_in_external("kc", ident(groups=()))
    assert signed.user.id == invited.user.id and signed.user.status is UserStatus.ACTIVE
    assert signed.user.role is Role.RESPONDER  # the invitation's role, not the policy's default
    assert await rig.uow.run(lambda u: u.users.by_external(T, "https://kc.example.com", "s-1")) is not None


async def test_an_unverified_email_links_nothing(rig):
    await rig.user("ada")
    with pytest.raises(AuthenticationFailed, match="email exists"):
        await rig.sign_in.sign_in_external("kc", ident(email_verified=False))


async def test_refusals(rig):
    ada = (await rig.sign_in.sign_in_external("kc", ident())).user
    await rig.accounts.deactivate(T, Actor.system(), ada.id)
    with pytest.raises(AuthenticationFailed, match="deactivated"):
        await rig.sign_in.sign_in_external("kc", ident())
    with pytest.raises(AuthenticationFailed, match="not configured"):
        await rig.sign_in.sign_in_external("github", ident(provider="github"))
    with pytest.raises(AuthenticationFailed, match="invite"):  # the strict policy makes no users
        await rig.sign_in.sign_in_external("strict", ident("s-2", email="new@example.com"))
    with pytest.raises(AuthenticationFailed, match="evil.io"):
        await rig.sign_in.sign_in_external("strict", ident("s-3", email="eve@evil.io"))


async def test_bearer_jwts_act_as_the_linked_user_or_as_a_service_account(rig):
    user = (await rig.sign_in.sign_in_external("kc", ident(groups=("oe-responders",)))).user
    rig.verifier.identities["ada"] = ident()
    rig.verifier.identities["robot"] = ident("svc-1", email=None, username="ci-bot", groups=("oe-admins",))
    as_user = await rig.auth.bearer("jwt.ada")
    assert (as_user.subject, as_user.auth, as_user.role) == (user.id, "jwt", Role.RESPONDER)
    robot = await rig.auth.bearer("jwt.robot")
    assert (robot.subject, robot.role, robot.username, robot.tenant) == ("jwt:kc:svc-1", Role.ADMIN, "ci-bot", T)
    with pytest.raises(AuthenticationFailed):
        await rig.auth.bearer("jwt.forged")
    with pytest.raises(AuthenticationFailed, match="neither an API key"):
        await rig.auth.bearer("something else")
    await rig.accounts.deactivate(T, Actor.system(), user.id)
    with pytest.raises(AuthenticationFailed, match="deactivated"):
        await rig.auth.bearer("jwt.ada")
    await rig.tenants.deactivate_tenant(Actor.system(), T)
    with pytest.raises(AuthenticationFailed):
        await rig.auth.bearer("jwt.robot")


class Provider:
    """An IdentityProvider test double: the callback's code names the identity."""

    id, name, kind = "kc", "Keycloak", "oidc"

    def __init__(self) -> None:
        self.started: list[str] = []

    async def start(self, redirect_uri: str) -> LoginStart:
        state = f"state-{len(self.started)}"
        self.started.append(redirect_uri)
        return LoginStart(f"https://kc.example.com/auth?state={state}", state, {"verifier": "v", "nonce": "n"})

    async def finish(self, flow, callback):
        if flow != {"verifier": "v", "nonce": "n"} or callback.get("code") != "good":
            raise AuthenticationFailed("the provider refused the code")
        return ident()


async def test_the_code_flow_keeps_its_secrets_server_side_and_completes_once(rig):
    provider = Provider()
    url, state = await rig.sign_in.start_external(provider, "https://oe.example.com/cb", "/incidents")
    assert state in url and provider.started == ["https://oe.example.com/cb"]
    signed, next_path = await rig.sign_in.finish_external(provider, {"code": "good", "state": state},
                                                          Client("192.0.2.1"))
    assert next_path == "/incidents" and signed.user.username == "ada"
    with pytest.raises(AuthenticationFailed, match="expired or was already used"):
        await rig.sign_in.finish_external(provider, {"code": "good", "state": state})
    _, other = await rig.sign_in.start_external(provider, "https://oe.example.com/cb", "/")
    with pytest.raises(AuthenticationFailed, match="refused"):
        await rig.sign_in.finish_external(provider, {"code": "bad", "state": other})
    _, late = await rig.sign_in.start_external(provider, "https://oe.example.com/cb", "/")
    rig.clock.advance(10 * 60_000)
    with pytest.raises(AuthenticationFailed, match="expired"):
        await rig.sign_in.finish_external(provider, {"code": "good", "state": late})
