"""Users, teams, API keys, tenants, the audit log and the first run, on in-memory adapters."""

from __future__ import annotations

import json

import pytest

from domain.errors import AuthenticationFailed, Conflict, NotFound, PermissionDenied, ValidationError
from domain.identity import ApiKeyScope, AuditQuery, Permission, Role, UserStatus
from services.identity import Actor
from tests.unit.services.identity.conftest import NOW, PASSWORD, T

DAY = 86_400_000


async def test_the_last_admin_can_be_neither_demoted_nor_deactivated(rig):
    root = rig.admin.subject
    with pytest.raises(Conflict, match="last active admin"):
        await rig.accounts.set_role(T, Actor.system(), root, "responder")
    with pytest.raises(Conflict, match="last active admin"):
        await rig.accounts.deactivate(T, Actor.system(), root)
    other = await rig.user("eve", "admin")
    await rig.accounts.set_role(T, Actor.system(), root, "viewer")
    with pytest.raises(Conflict):
        await rig.accounts.deactivate(T, Actor.system(), other.id)


async def test_deactivating_a_user_revokes_their_keys_and_a_demotion_the_keys_beyond_the_new_role(rig):
    ada = await rig.user("ada", "admin")
    ingest, ingest_plain = await rig.keys.create_api_key(T, "agent", ["ingest"], owner=ada.id)
    read, read_plain = await rig.keys.create_api_key(T, "grafana", ["read"], owner=ada.id)
    await rig.accounts.set_role(T, Actor.of(rig.admin), ada.id, "responder")
    rig.clock.advance(1)
    with pytest.raises(AuthenticationFailed):
        await rig.auth.bearer(ingest_plain)  # ingest is an admin permission
    await rig.auth.bearer(read_plain)
    await rig.accounts.deactivate(T, Actor.of(rig.admin), ada.id)
    with pytest.raises(AuthenticationFailed):
        await rig.auth.bearer(read_plain)
    reasons = [e.after["reason"] for e in await rig.audit.query(AuditQuery(T, action="api_key.revoke"))]
    assert reasons == ["owner deactivated", "owner is now responder"]


async def test_users_are_listed_changed_and_audited_with_before_and_after(rig):
    ada = await rig.user("ada", "viewer")
    await rig.accounts.set_role(T, Actor(rig.admin.subject, "root", T, "10.0.0.1"), ada.id, "responder")
    [entry] = await rig.audit.query(AuditQuery(T, action="user.set_role"))
    assert (entry.before["role"], entry.after["role"], entry.actor_name, entry.remote_addr) == (
        "viewer", "responder", "root", "10.0.0.1")
    assert "password" not in json.dumps(entry.as_dict())
    assert [u.username for u in await rig.accounts.list_users(T)] == ["ada", "root"]
    assert await rig.accounts.list_users("globex") == []
    with pytest.raises(NotFound):
        await rig.accounts.set_role("globex", Actor.system(), ada.id, "admin")  # another tenant's user is not there
    with pytest.raises(Conflict):
        await rig.user("ada")


async def test_teams(rig):
    ada, bob = await rig.user("ada"), await rig.user("bob")
    team = await rig.accounts.create_team(T, Actor.system(), team_id="sre", name="SRE", members=[ada.id])
    assert team.members == {ada.id}
    rig.clock.advance(1)
    with pytest.raises(ValidationError) as info:
        await rig.accounts.create_team(T, Actor.system(), team_id="db", name="DB", members=[ada.id, "usr_nobody"])
    assert info.value.field == "members[1]"
    theirs = await rig.user("zed", tenant="globex")
    with pytest.raises(ValidationError):
        await rig.accounts.update_team(T, Actor.system(), "sre", members=[theirs.id])
    updated = await rig.accounts.update_team(T, Actor.system(), "sre", members=[ada.id, bob.id], description="prod")
    assert updated.members == {ada.id, bob.id} and updated.description == "prod"
    assert [t.id for t in (await rig.accounts.profile(bob.principal())).teams] == ["sre"]
    rig.clock.advance(1)
    await rig.accounts.delete_team(T, Actor.system(), "sre")
    with pytest.raises(NotFound):
        await rig.accounts.delete_team(T, Actor.system(), "sre")
    assert [e.action for e in await rig.audit.query(AuditQuery(T, action="team.*"))] == [
        "team.delete", "team.update", "team.create"]


async def test_profile_updates(rig):
    ada = await rig.user("ada")
    me = ada.principal()
    profile = await rig.accounts.update_profile(me, Actor.of(me), name="Ada L.", timezone="Europe/Berlin",
                                                contacts=[{"kind": "sms", "address": "+49 170 1234567"}])
    assert (profile.user.name, profile.user.timezone, profile.user.contacts[0].address) == (
        "Ada L.", "Europe/Berlin", "+49 170 1234567")
    with pytest.raises(ValidationError) as info:
        await rig.accounts.update_profile(me, Actor.of(me), timezone="Atlantis/Capital")
    assert info.value.field == "timezone"
    _, plaintext = await rig.keys.create_api_key(T, "k", ["read"])
    key_principal = await rig.auth.bearer(plaintext)
    assert (await rig.accounts.profile(key_principal)).user is None
    with pytest.raises(ValidationError):
        await rig.accounts.update_profile(key_principal, Actor.of(key_principal), name="x")


# -------------------------------------------------------------------------- keys


async def test_keys_expire_in_90_days_unless_asked_otherwise(rig):
    key, plaintext = await rig.keys.create_api_key(T, "ci", ["responder"], actor=Actor.of(rig.admin),
                                                   owner=rig.admin.subject)
    assert key.expires_at_ms == NOW + 90 * DAY and key.owner == rig.admin.subject
    principal = await rig.auth.bearer(plaintext)
    assert principal.can(Permission.ACT_ON_INCIDENTS) and not principal.can(Permission.MANAGE_RULES)
    assert principal.effective_role is Role.RESPONDER and principal.auth == "api_key"
    forever, _ = await rig.keys.create_api_key(T, "legacy", ["read"], never_expires=True)
    assert forever.expires_at_ms is None
    week, _ = await rig.keys.create_api_key(T, "temp", ["read"], expires_in_days=7)
    assert week.expires_at_ms == NOW + 7 * DAY
    rig.clock.advance(90 * DAY)
    with pytest.raises(AuthenticationFailed):
        await rig.auth.bearer(plaintext)


async def test_a_key_owner_must_be_an_active_user_whose_role_allows_the_scopes(rig):
    viewer = await rig.user("vic", "viewer")
    with pytest.raises(PermissionDenied):
        await rig.keys.create_api_key(T, "k", ["responder"], owner=viewer.id)
    with pytest.raises(ValidationError) as info:
        await rig.keys.create_api_key(T, "k", ["read"], owner="usr_nobody")
    assert info.value.field == "owner"
    with pytest.raises(NotFound):
        await rig.keys.create_api_key("initech", "k", ["read"])


async def test_rotate_and_revoke(rig):
    key, old_plain = await rig.keys.create_api_key(T, "ci", ["read"])
    rig.clock.advance(1)  # entries of one millisecond have no order among themselves
    new, new_plain = await rig.keys.rotate_key(T, key.id, Actor.system(), grace_s=60)
    assert new.name == "ci" and new.id != key.id
    await rig.auth.bearer(old_plain)  # within the grace period
    await rig.auth.bearer(new_plain)
    rig.clock.advance(60_000)
    with pytest.raises(AuthenticationFailed):
        await rig.auth.bearer(old_plain)
    revoked = await rig.keys.revoke_key(T, new.id, Actor.system())
    assert revoked.revoked_at_ms == rig.clock.now_ms()
    with pytest.raises(AuthenticationFailed):
        await rig.auth.bearer(new_plain)
    with pytest.raises(NotFound):
        await rig.keys.revoke_key("globex", key.id, Actor.system())
    with pytest.raises(ValidationError):
        await rig.keys.rotate_key(T, key.id, Actor.system(), grace_s=10**6)
    assert [e.action for e in await rig.audit.query(AuditQuery(T, action="api_key.*"))] == [
        "api_key.revoke", "api_key.rotate", "api_key.create"]


# ----------------------------------------------------------------------- tenants


async def test_a_new_tenant_gets_an_invited_admin_and_a_working_key(rig):
    platform = Actor.of(rig.admin)
    created = await rig.tenants.create_tenant(platform, "initech", "Initech", admin_username="bill",
                                              admin_email="bill@initech.com", admin_name="Bill")
    principal = await rig.auth.bearer(created.api_key)
    assert principal.tenant == "initech" and principal.can(Permission.MANAGE_USERS)
    assert created.admin.user.status is UserStatus.INVITED and created.admin.user.role is Role.ADMIN
    signed = await rig.sign_in.set_password_with_token(created.admin.token, "initech's own password")
    assert (await rig.auth.session(signed.token)).principal.tenant == "initech"
    entries = await rig.audit.query(AuditQuery("initech"))
    assert {e.action for e in entries} >= {"tenant.create", "user.invite", "api_key.create"}
    assert all(e.actor_tenant == T for e in entries if e.action == "tenant.create")
    with pytest.raises(Conflict):
        await rig.tenants.create_tenant(platform, "initech", "Again", admin_username="x", admin_email="x@y.io",
                                        admin_name="X")


async def test_a_deactivated_tenant_accepts_no_credential_until_reactivated(rig):
    ada = await rig.user("ada")
    _, key = await rig.keys.create_api_key(T, "k", ["read"])
    signed = await rig.sign_in.sign_in_local("ada", PASSWORD)
    ticket, _ = await rig.auth.issue_ticket(ada.principal())
    with pytest.raises(Conflict):
        await rig.tenants.deactivate_tenant(Actor.of(rig.admin), T)  # not your own
    await rig.tenants.deactivate_tenant(Actor.system(), T)
    for attempt in (rig.auth.bearer(key), rig.auth.session(signed.token), rig.auth.redeem_ticket(ticket),
                    rig.sign_in.sign_in_local("ada", PASSWORD)):
        with pytest.raises(AuthenticationFailed):
            await attempt
    await rig.tenants.reactivate_tenant(Actor.system(), T)
    await rig.auth.bearer(key)
    with pytest.raises(AuthenticationFailed):  # sessions were ended, not paused
        await rig.auth.session(signed.token)
    assert [t.id for t in await rig.tenants.list_tenants()] == [T, "globex"]


async def test_first_run_keeps_the_key_files_valid(rig):
    assert await rig.tenants.bootstrap_tenant("ops") is True
    admin = await rig.tenants.bootstrap_admin("ops", PASSWORD)
    assert admin.platform_admin and admin.role is Role.ADMIN
    assert await rig.tenants.bootstrap_tenant("ops") is False
    first = await rig.tenants.ensure_key("ops", None, name="operator", scopes=[ApiKeyScope.ADMIN], owner_username="admin")
    assert first and await rig.tenants.ensure_key("ops", first, name="operator", scopes=[ApiKeyScope.ADMIN]) is None
    agent = await rig.tenants.ensure_key("ops", first, name="agent", scopes=[ApiKeyScope.INGEST])
    assert agent and agent != first  # another scope: a key of its own (and the given one revoked)
    principal = await rig.auth.bearer(agent)
    assert principal.permissions == {Permission.INGEST_TELEMETRY}
    rig.clock.advance(77 * DAY)  # 13 days left: replaced
    renewed = await rig.tenants.ensure_key("ops", agent, name="agent", scopes=[ApiKeyScope.INGEST])
    assert renewed and renewed != agent
    with pytest.raises(AuthenticationFailed):
        await rig.auth.bearer(agent)
    assert await rig.tenants.ensure_key("ops", "garbage", name="a", scopes=[ApiKeyScope.INGEST])


# ----------------------------------------------------------------------- audit


async def test_audit_export_pages_through_everything_as_json_lines(rig):
    for i in range(7):
        await rig.audit.record(Actor.system(), T, "http.post", f"/api/v1/rules/{i}", status=201)
        rig.clock.advance(1)
    lines = [line async for line in rig.audit.export(AuditQuery(T, action="http.post", limit=3))]
    entries = [json.loads(line) for line in lines]
    assert len(entries) == 7 and [e["target"] for e in entries] == [f"/api/v1/rules/{i}" for i in reversed(range(7))]
    assert all(line.endswith("\n") for line in lines)


async def test_purging_the_audit_log_respects_the_retention(rig):
    await rig.audit.record(Actor.system(), T, "http.post", "/x")
    with pytest.raises(ValidationError):
        await rig.audit.purge(30, Actor.cli("root"))
    rig.clock.advance(400 * DAY)
    assert await rig.audit.purge(365, Actor.cli("root")) >= 1
    assert [e.action for e in await rig.audit.query(AuditQuery(T))] == ["audit.purge"]
