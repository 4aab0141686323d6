"""Signing in and out: passwords, TOTP, the throttle, sessions, tickets, invitations."""

from __future__ import annotations

import asyncio

import pytest

from domain.errors import AuthenticationFailed, ValidationError
from domain.identity import AuditQuery, Role, UserStatus
from services.identity import Actor, Client, LoginLocked, MfaRequired
from services.identity.sign_in import WRONG_CREDENTIALS
from tests.unit.services.identity.conftest import PASSWORD, T

HOUR = 3_600_000


async def test_a_password_sign_in_opens_a_session_the_cookie_then_authenticates(rig):
    await rig.user("ada")
    signed = await rig.sign_in.sign_in_local(" Ada ", PASSWORD, client=Client("192.0.2.7", "Firefox"))
    assert signed.user.username == "ada" and signed.user.last_sign_in_ms == rig.clock.now_ms()
    assert (signed.session.remote_addr, signed.session.user_agent, signed.session.auth) == ("192.0.2.7", "Firefox", "local")
    auth = await rig.auth.session(signed.token)
    assert auth.principal.username == "ada" and auth.principal.session_id == signed.session.id
    assert auth.principal.role is Role.RESPONDER and auth.session.csrf_matches(signed.csrf)
    [entry] = await rig.audit.query(AuditQuery(T, action="auth.login"))
    assert entry.actor == signed.user.id and entry.remote_addr == "192.0.2.7"


@pytest.mark.parametrize("case", ["unknown user", "wrong password", "deactivated", "invited", "other tenant",
                                  "deactivated tenant", "bad username"])
async def test_every_refusal_reads_the_same(rig, case):
    user = await rig.user("ada")
    await rig.user("bob", password=None)
    username, password, tenant = "ada", PASSWORD, None
    if case == "unknown user":
        username = "nobody"
    elif case == "wrong password":
        password = "not the password at all"
    elif case == "deactivated":
        await rig.accounts.deactivate(T, Actor.system(), user.id)
    elif case == "invited":
        username = "bob"
    elif case == "other tenant":
        tenant = "globex"
    elif case == "deactivated tenant":
        await rig.tenants.deactivate_tenant(Actor.system(), T)
    else:
        username = "a b"
    with pytest.raises(AuthenticationFailed) as info:
        await rig.sign_in.sign_in_local(username, password, tenant=tenant)
    assert str(info.value) == WRONG_CREDENTIALS and type(info.value) is AuthenticationFailed


async def test_five_failures_lock_the_account_then_time_unlocks_it(rig):
    await rig.user("ada")
    for _ in range(4):
        with pytest.raises(AuthenticationFailed, match=WRONG_CREDENTIALS):
            await rig.sign_in.sign_in_local("ada", "wrong wrong wrong")
    with pytest.raises(LoginLocked) as info:
        await rig.sign_in.sign_in_local("ada", "wrong wrong wrong")
    assert info.value.retry_after_s == 15 * 60
    with pytest.raises(LoginLocked):  # even the right password is not checked while locked
        await rig.sign_in.sign_in_local("ada", PASSWORD)
    rig.clock.advance(15 * 60_000)
    assert (await rig.sign_in.sign_in_local("ada", PASSWORD)).user.username == "ada"
    failures = await rig.audit.query(AuditQuery(T, action="auth.login_failed"))
    assert len(failures) == 5 and failures[0].target == "username:ada"


async def test_unknown_usernames_are_throttled_too(rig):
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            await rig.sign_in.sign_in_local("ghost", "whatever you like")
    with pytest.raises(LoginLocked):
        await rig.sign_in.sign_in_local("ghost", "whatever you like")


async def test_concurrent_failures_all_count(rig):
    await rig.user("ada")
    results = await asyncio.gather(*(rig.sign_in.sign_in_local("ada", "wrong wrong wrong") for _ in range(5)),
                                   return_exceptions=True)
    assert all(isinstance(r, AuthenticationFailed) for r in results)
    with pytest.raises(LoginLocked):
        await rig.sign_in.sign_in_local("ada", PASSWORD)


async def test_totp_enrolment_then_sign_in_needs_a_fresh_code(rig):
    user = await rig.user("ada")
    me = user.principal()
    enrolment = await rig.accounts.start_totp(me, Actor.of(me))
    assert not (await rig.accounts.profile(me)).user.mfa_enabled  # not before confirming
    with pytest.raises(ValidationError):
        await rig.accounts.confirm_totp(me, Actor.of(me), "000000")
    profile = await rig.accounts.confirm_totp(me, Actor.of(me), rig.code(enrolment.secret))
    assert profile.user.mfa_enabled

    with pytest.raises(MfaRequired):
        await rig.sign_in.sign_in_local("ada", PASSWORD)
    with pytest.raises(AuthenticationFailed, match=WRONG_CREDENTIALS):  # the confirming code, replayed
        await rig.sign_in.sign_in_local("ada", PASSWORD, totp=rig.code(enrolment.secret))
    rig.clock.advance(30_000)
    signed = await rig.sign_in.sign_in_local("ada", PASSWORD, totp=rig.code(enrolment.secret))
    assert signed.session.mfa and signed.user.last_sign_in_mfa
    with pytest.raises(AuthenticationFailed):  # and that code, replayed
        await rig.sign_in.sign_in_local("ada", PASSWORD, totp=rig.code(enrolment.secret))
    with pytest.raises(AuthenticationFailed, match=WRONG_CREDENTIALS):  # only the right password asks for a code
        await rig.sign_in.sign_in_local("ada", "not the password at all")


async def test_removing_the_second_factor_needs_a_code(rig):
    user = await rig.user("ada")
    me = user.principal()
    enrolment = await rig.accounts.start_totp(me, Actor.of(me))
    await rig.accounts.confirm_totp(me, Actor.of(me), rig.code(enrolment.secret))
    rig.clock.advance(30_000)
    with pytest.raises(ValidationError):
        await rig.accounts.disable_totp(me, Actor.of(me), "123456")
    await rig.accounts.disable_totp(me, Actor.of(me), rig.code(enrolment.secret))
    assert (await rig.sign_in.sign_in_local("ada", PASSWORD)).session.mfa is False


async def test_sessions_end_by_idle_time_by_lifetime_and_by_sign_out(rig):
    await rig.user("ada")
    signed = await rig.sign_in.sign_in_local("ada", PASSWORD)
    for _ in range(20):  # busy for 20 x 11 h: the idle timeout slides...
        rig.clock.advance(11 * HOUR)
        if rig.clock.now_ms() - signed.session.created_at_ms >= 7 * 24 * HOUR:
            break
        await rig.auth.session(signed.token)
    with pytest.raises(AuthenticationFailed):  # ...but the week is the end
        await rig.auth.session(signed.token)

    idle = await rig.sign_in.sign_in_local("ada", PASSWORD)
    rig.clock.advance(12 * HOUR)
    with pytest.raises(AuthenticationFailed):
        await rig.auth.session(idle.token)

    out = await rig.sign_in.sign_in_local("ada", PASSWORD)
    principal = (await rig.auth.session(out.token)).principal
    await rig.sign_in.sign_out(T, out.session.id, Actor.of(principal))
    with pytest.raises(AuthenticationFailed):
        await rig.auth.session(out.token)
    assert (await rig.audit.query(AuditQuery(T, action="auth.logout")))[0].target == f"session:{out.session.id}"


async def test_a_role_change_applies_to_the_next_request_and_deactivation_ends_sessions(rig):
    user = await rig.user("ada")
    signed = await rig.sign_in.sign_in_local("ada", PASSWORD)
    await rig.accounts.set_role(T, Actor.of(rig.admin), user.id, "viewer")
    assert (await rig.auth.session(signed.token)).principal.role is Role.VIEWER
    await rig.accounts.deactivate(T, Actor.of(rig.admin), user.id)
    with pytest.raises(AuthenticationFailed):
        await rig.auth.session(signed.token)
    await rig.accounts.reactivate(T, Actor.of(rig.admin), user.id)
    with pytest.raises(AuthenticationFailed):  # its sessions were revoked, not paused
        await rig.auth.session(signed.token)


@pytest.mark.parametrize("token", ["", "x" * 300, "nope"])
async def test_garbage_session_tokens_are_refused(rig, token):
    with pytest.raises(AuthenticationFailed):
        await rig.auth.session(token)


async def test_a_stream_ticket_works_once_and_briefly(rig):
    await rig.user("ada")
    signed = await rig.sign_in.sign_in_local("ada", PASSWORD)
    principal = (await rig.auth.session(signed.token)).principal
    ticket, expires = await rig.auth.issue_ticket(principal)
    assert expires == rig.clock.now_ms() + 30_000
    assert await rig.auth.redeem_ticket(ticket) == principal
    with pytest.raises(AuthenticationFailed):
        await rig.auth.redeem_ticket(ticket)
    late, _ = await rig.auth.issue_ticket(principal)
    rig.clock.advance(30_000)
    with pytest.raises(AuthenticationFailed):
        await rig.auth.redeem_ticket(late)
    revoked, _ = await rig.auth.issue_ticket(principal)
    await rig.sign_in.sign_out(T, signed.session.id, Actor.of(principal))
    with pytest.raises(AuthenticationFailed):
        await rig.auth.redeem_ticket(revoked)


async def test_a_ticket_of_a_revoked_key_is_refused(rig):
    key, plaintext = await rig.keys.create_api_key(T, "dash", ["read"])
    principal = await rig.auth.bearer(plaintext)
    ticket, _ = await rig.auth.issue_ticket(principal)
    await rig.keys.revoke_key(T, key.id, Actor.system())
    with pytest.raises(AuthenticationFailed):
        await rig.auth.redeem_ticket(ticket)


async def test_an_invitation_sets_the_password_once(rig):
    invitation = await rig.accounts.invite(T, Actor.of(rig.admin), username="bob", email="bob@example.com",
                                           name="Bob", role="responder")
    assert invitation.user.status is UserStatus.INVITED
    with pytest.raises(ValidationError):
        await rig.sign_in.set_password_with_token(invitation.token, "short")
    signed = await rig.sign_in.set_password_with_token(invitation.token, "a brand new password")
    assert signed.user.status is UserStatus.ACTIVE and (await rig.auth.session(signed.token)).principal.username == "bob"
    with pytest.raises(AuthenticationFailed):
        await rig.sign_in.set_password_with_token(invitation.token, "another new password")
    assert (await rig.sign_in.sign_in_local("bob", "a brand new password")).user.id == invitation.user.id


async def test_an_expired_invitation_is_refused_and_a_reset_issues_a_new_one(rig):
    invitation = await rig.accounts.invite(T, Actor.system(), username="bob", email="bob@example.com", name="Bob")
    rig.clock.advance(7 * 24 * HOUR)
    with pytest.raises(AuthenticationFailed):
        await rig.sign_in.set_password_with_token(invitation.token, "a brand new password")
    again = await rig.accounts.reset_password(T, Actor.system(), invitation.user.id)
    await rig.sign_in.set_password_with_token(again.token, "a brand new password")


async def test_changing_the_password_ends_the_other_sessions(rig):
    user = await rig.user("ada")
    here, elsewhere = (await rig.sign_in.sign_in_local("ada", PASSWORD)), (await rig.sign_in.sign_in_local("ada", PASSWORD))
    me = (await rig.auth.session(here.token)).principal
    with pytest.raises(ValidationError) as info:
        await rig.accounts.change_password(me, Actor.of(me), "not it at all", "a newer password here")
    assert info.value.field == "current_password"
    await rig.accounts.change_password(me, Actor.of(me), PASSWORD, "a newer password here")
    await rig.auth.session(here.token)
    with pytest.raises(AuthenticationFailed):
        await rig.auth.session(elsewhere.token)
    assert (await rig.sign_in.sign_in_local(user.username, "a newer password here")).user.id == user.id


async def test_one_totp_code_signs_in_once_even_when_two_sign_ins_race(rig):
    user = await rig.user("ada")
    me = user.principal()
    enrolment = await rig.accounts.start_totp(me, Actor.of(me))
    await rig.accounts.confirm_totp(me, Actor.of(me), rig.code(enrolment.secret))
    rig.clock.advance(30_000)
    code = rig.code(enrolment.secret)
    results = await asyncio.gather(*(rig.sign_in.sign_in_local("ada", PASSWORD, totp=code) for _ in range(2)),
                                   return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["AuthenticationFailed", "SignedIn"]
