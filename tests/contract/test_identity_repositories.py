"""Contract of the identity repositories (ports/identity_store.py): tenants, API keys,
users, teams, sessions, one-time tokens, login throttling and the audit log, run against
every adapter (see RUNNERS in repositories_support.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.errors import Conflict
from domain.identity import (
    AuditEntry,
    AuditQuery,
    Contact,
    ExternalAccount,
    OneTimeToken,
    Role,
    Session,
    Team,
    Tenant,
    ThrottleState,
    Totp,
    User,
    UserStatus,
    generate_api_key,
    hash_token,
    new_audit_id,
)
from tests.contract.repositories_support import T0, uow  # noqa: F401  (uow is the fixture)

HOUR = 3_600_000


def user(id="u-1", tenant="acme", username="ada", email="ada@example.com", **kw) -> User:
    return User(id, tenant, username, email, "Ada Lovelace", kw.pop("role", Role.RESPONDER), created_at_ms=T0, **kw)


# ------------------------------------------------------------------------ tenants


async def test_tenants_add_get_save_list(uow):
    await uow.run(lambda u: [u.tenants.add(Tenant("acme", "Acme Corp", created_at_ms=T0)),
                             u.tenants.add(Tenant("globex", "Globex", created_at_ms=T0 + 1))])
    assert await uow.run(lambda u: u.tenants.get("acme")) == Tenant("acme", "Acme Corp", created_at_ms=T0)
    assert await uow.run(lambda u: u.tenants.get("initech")) is None
    assert [t.id for t in await uow.run(lambda u: u.tenants.list())] == ["acme", "globex"]
    with pytest.raises(Conflict):
        await uow.run(lambda u: u.tenants.add(Tenant("acme", "Again")))
    gone = Tenant("acme", "Acme Corp", created_at_ms=T0).deactivate(T0 + 5)
    await uow.run(lambda u: u.tenants.save(gone))
    assert await uow.run(lambda u: u.tenants.get("acme")) == gone


# ----------------------------------------------------------------------- api keys


async def test_api_keys_by_prefix_get_list_and_revoke(uow):
    key, plaintext = generate_api_key("acme", "agent", ["ingest"], T0, "k-1", owner="u-1", expires_at_ms=T0 + HOUR)
    theirs, _ = generate_api_key("globex", "agent", ["read"], T0, "k-2")
    later, _ = generate_api_key("acme", "ci", ["responder"], T0 + 1, "k-0")
    await uow.run(lambda u: [u.api_keys.add(key), u.api_keys.add(theirs), u.api_keys.add(later)])

    found = await uow.run(lambda u: u.api_keys.by_prefix(key.prefix))
    assert found == key and found.verify(plaintext, T0 + 1) and found.owner == "u-1"
    assert await uow.run(lambda u: u.api_keys.by_prefix("0" * 12 if key.prefix != "0" * 12 else "1" * 12)) is None
    assert await uow.run(lambda u: u.api_keys.get("acme", "k-1")) == key
    assert await uow.run(lambda u: u.api_keys.get("globex", "k-1")) is None
    assert [k.id for k in await uow.run(lambda u: u.api_keys.list("acme"))] == ["k-1", "k-0"]  # oldest first
    assert [k.id for k in await uow.run(lambda u: u.api_keys.list("globex"))] == ["k-2"]

    await uow.run(lambda u: u.api_keys.save(key.revoke(T0 + 5)))
    revoked = await uow.run(lambda u: u.api_keys.by_prefix(key.prefix))
    assert revoked.revoked_at_ms == T0 + 5 and not revoked.verify(plaintext, T0 + 6)


async def test_an_api_key_prefix_is_unique(uow):
    key, _ = generate_api_key("acme", "agent", ["ingest"], T0, "k-1")
    await uow.run(lambda u: u.api_keys.add(key))
    clash = replace(key, id="k-2", tenant="globex", name="other", secret_hash="0" * 64)
    with pytest.raises(Conflict):
        await uow.run(lambda u: u.api_keys.add(clash))
    assert (await uow.run(lambda u: u.api_keys.by_prefix(key.prefix))).id == "k-1"


# -------------------------------------------------------------------------- users


async def test_a_user_round_trips_with_every_field(uow):
    full = user(
        status=UserStatus.ACTIVE, timezone="Europe/Berlin",
        contacts=(Contact("email", "pager@example.com"), Contact("sms", "+4917012345")), password_hash="scrypt$x",
        totp=Totp("v1.sealed", confirmed=True, last_step=123), platform_admin=True, last_sign_in_ms=T0 + 9,
        last_sign_in_mfa=True, external_accounts=frozenset({ExternalAccount("kc", "https://kc", "s-1"),
                                                            ExternalAccount("gh", "https://github.com", "42")}),
    ).invite(hash_token("tok"), T0)
    await uow.run(lambda u: u.users.add(full))
    got = await uow.run(lambda u: u.users.get("acme", "u-1"))
    assert got == full
    assert await uow.run(lambda u: u.users.by_username("acme", "ada")) == full
    assert await uow.run(lambda u: u.users.by_email("acme", "ADA@example.com")) == full
    assert await uow.run(lambda u: u.users.by_external("acme", "https://kc", "s-1")) == full
    assert await uow.run(lambda u: u.users.by_external("globex", "https://kc", "s-1")) is None
    assert await uow.run(lambda u: u.users.by_external("acme", "https://kc", "42")) is None
    assert await uow.run(lambda u: u.users.by_invite_token(hash_token("tok"))) == full
    assert await uow.run(lambda u: u.users.by_invite_token(hash_token("other"))) is None


async def test_users_save_list_and_statuses(uow):
    await uow.run(lambda u: [u.users.add(user()), u.users.add(user("u-2", username="bob", email="bob@example.com",
                                                                    status=UserStatus.INVITED)),
                             u.users.add(user("u-3", "globex"))])
    changed = replace(user(), role=Role.ADMIN, name="Ada King").link(ExternalAccount("kc", "https://kc", "s-9"))
    await uow.run(lambda u: u.users.save(changed))
    assert await uow.run(lambda u: u.users.get("acme", "u-1")) == changed
    unlinked = replace(changed, external_accounts=frozenset())
    await uow.run(lambda u: u.users.save(unlinked))
    assert await uow.run(lambda u: u.users.by_external("acme", "https://kc", "s-9")) is None
    assert [x.username for x in await uow.run(lambda u: u.users.list("acme"))] == ["ada", "bob"]
    invited = await uow.run(lambda u: u.users.list("acme", [UserStatus.INVITED]))
    assert [x.id for x in invited] == ["u-2"]
    assert [x.id for x in await uow.run(lambda u: u.users.list("globex"))] == ["u-3"]


@pytest.mark.parametrize("clash", [{"id": "u-2", "email": "other@example.com"},  # same username
                                   {"id": "u-2", "username": "other", "email": "ADA@example.com"},  # same email
                                   {"username": "other", "email": "other@example.com"}])  # same id
async def test_usernames_emails_and_ids_are_unique_per_tenant(uow, clash):
    await uow.run(lambda u: u.users.add(user()))
    with pytest.raises(Conflict):
        await uow.run(lambda u: u.users.add(user(**clash)))
    await uow.run(lambda u: u.users.add(user(tenant="globex", **clash)))  # another tenant: fine
    assert len(await uow.run(lambda u: u.users.list("acme"))) == 1


async def test_saving_a_user_with_a_taken_username_conflicts_and_keeps_the_unit_usable(uow):
    await uow.run(lambda u: [u.users.add(user()), u.users.add(user("u-2", username="bob", email="bob@example.com"))])

    def rename(u):
        with pytest.raises(Conflict, match="username"):
            u.users.save(replace(user("u-2", username="bob", email="bob@example.com"), username="ada"))
        u.users.save(replace(user("u-2", username="bob", email="bob@example.com"), name="Robert"))

    await uow.run(rename)
    assert (await uow.run(lambda u: u.users.get("acme", "u-2"))).name == "Robert"


async def test_an_external_account_links_to_one_user(uow):
    account = ExternalAccount("kc", "https://kc", "s-1")
    await uow.run(lambda u: u.users.add(user(external_accounts=frozenset({account}))))
    with pytest.raises(Conflict):
        await uow.run(lambda u: u.users.add(user("u-2", username="bob", email="b@example.com",
                                                  external_accounts=frozenset({account}))))


# -------------------------------------------------------------------------- teams


async def test_teams_add_get_save_list_remove(uow):
    sre = Team("sre", "acme", "SRE", "on call for prod", frozenset({"u-1", "u-2"}))
    await uow.run(lambda u: [u.teams.add(sre), u.teams.add(Team("db", "acme", "Databases", members=frozenset({"u-2"}))),
                             u.teams.add(Team("sre", "globex", "SRE"))])
    assert await uow.run(lambda u: u.teams.get("acme", "sre")) == sre
    assert [t.id for t in await uow.run(lambda u: u.teams.list("acme"))] == ["db", "sre"]  # by name
    assert [t.id for t in await uow.run(lambda u: u.teams.list("acme", member="u-1"))] == ["sre"]
    assert [t.id for t in await uow.run(lambda u: u.teams.list("acme", member="u-2"))] == ["db", "sre"]
    smaller = sre.without_member("u-1")
    await uow.run(lambda u: u.teams.save(smaller))
    assert (await uow.run(lambda u: u.teams.get("acme", "sre"))).members == {"u-2"}
    assert await uow.run(lambda u: u.teams.remove("acme", "sre")) is True
    assert await uow.run(lambda u: u.teams.remove("acme", "sre")) is False
    assert await uow.run(lambda u: u.teams.get("globex", "sre")) is not None


async def test_team_ids_and_names_are_unique_per_tenant(uow):
    await uow.run(lambda u: u.teams.add(Team("sre", "acme", "SRE")))
    for clash in (Team("sre", "acme", "Other"), Team("ops", "acme", "sre")):
        with pytest.raises(Conflict):
            await uow.run(lambda u, t=clash: u.teams.add(t))


# ----------------------------------------------------------------------- sessions


def session(user_id="u-1", tenant="acme", at=T0) -> tuple[Session, str]:
    record, token, _ = Session.start(tenant, user_id, "oidc:kc", at, idle_ms=HOUR, lifetime_ms=24 * HOUR, mfa=True,
                                     remote_addr="192.0.2.1", user_agent="Firefox")
    return record, token


async def test_sessions_by_token_list_revoke_and_purge(uow):
    (mine, token), (other, _), (theirs, _) = session(), session(at=T0 + 1), session("u-9", "globex")
    await uow.run(lambda u: [u.sessions.add(s) for s in (mine, other, theirs)])
    assert await uow.run(lambda u: u.sessions.by_token(hash_token(token))) == mine
    assert await uow.run(lambda u: u.sessions.by_token(hash_token("nope"))) is None
    assert await uow.run(lambda u: u.sessions.get("acme", mine.id)) == mine
    assert await uow.run(lambda u: u.sessions.get("globex", mine.id)) is None
    assert [s.id for s in await uow.run(lambda u: u.sessions.list("acme", "u-1"))] == [other.id, mine.id]

    seen = mine.touched(T0 + HOUR // 2)
    await uow.run(lambda u: u.sessions.save(seen))
    assert (await uow.run(lambda u: u.sessions.get("acme", mine.id))).last_seen_at_ms == T0 + HOUR // 2

    assert await uow.run(lambda u: u.sessions.revoke_all("acme", "u-1", T0 + 10)) == 2
    assert await uow.run(lambda u: u.sessions.revoke_all("acme", "u-1", T0 + 20)) == 0
    assert (await uow.run(lambda u: u.sessions.get("acme", mine.id))).revoked_at_ms == T0 + 10
    assert (await uow.run(lambda u: u.sessions.get("globex", theirs.id))).revoked_at_ms is None

    assert await uow.run(lambda u: u.sessions.purge(T0 + 11)) == 2  # the revoked two
    assert await uow.run(lambda u: u.sessions.revoke_all("globex", None, T0 + 30)) == 1
    assert await uow.run(lambda u: u.sessions.purge(T0)) == 0


async def test_idle_sessions_are_purged(uow):
    record, _ = session()
    await uow.run(lambda u: u.sessions.add(record))
    assert await uow.run(lambda u: u.sessions.purge(T0 + HOUR)) == 0
    assert await uow.run(lambda u: u.sessions.purge(T0 + HOUR + 1)) == 1


# ---------------------------------------------------------------- one-time tokens


async def test_a_one_time_token_is_taken_once(uow):
    ticket = OneTimeToken("stream_ticket", hash_token("t-1"), T0 + 30_000, {"tenant": "acme", "subject": "u-1"})
    await uow.run(lambda u: u.one_time_tokens.add(ticket))
    assert await uow.run(lambda u: u.one_time_tokens.take("oidc_flow", hash_token("t-1"), T0)) is None  # wrong kind
    got = await uow.run(lambda u: u.one_time_tokens.take("stream_ticket", hash_token("t-1"), T0))
    assert got == ticket and got.payload == {"tenant": "acme", "subject": "u-1"}
    assert await uow.run(lambda u: u.one_time_tokens.take("stream_ticket", hash_token("t-1"), T0)) is None


async def test_an_expired_one_time_token_is_refused_and_purged(uow):
    await uow.run(lambda u: [u.one_time_tokens.add(OneTimeToken("k", hash_token("a"), T0)),
                             u.one_time_tokens.add(OneTimeToken("k", hash_token("b"), T0 + 10))])
    assert await uow.run(lambda u: u.one_time_tokens.take("k", hash_token("a"), T0)) is None
    assert await uow.run(lambda u: u.one_time_tokens.purge(T0 + 10)) == 1
    assert await uow.run(lambda u: u.one_time_tokens.take("k", hash_token("b"), T0)) is None


# ------------------------------------------------------------------- login throttle


async def test_login_throttle_state_is_kept_replaced_and_purged(uow):
    state = ThrottleState(3, T0, None, 1)
    await uow.run(lambda u: u.login_throttle.save("acme/ada", state, T0 + HOUR))
    assert await uow.run(lambda u: u.login_throttle.get("acme/ada")) == state
    assert await uow.run(lambda u: u.login_throttle.get("acme/bob")) is None
    locked = ThrottleState(0, T0 + 5, T0 + HOUR, 2)
    await uow.run(lambda u: u.login_throttle.save("acme/ada", locked, T0 + 2 * HOUR))
    assert await uow.run(lambda u: u.login_throttle.get("acme/ada")) == locked
    await uow.run(lambda u: u.login_throttle.save("acme/bob", state, T0 + HOUR))
    assert await uow.run(lambda u: u.login_throttle.purge(T0 + HOUR)) == 1
    await uow.run(lambda u: u.login_throttle.delete("acme/ada"))
    assert await uow.run(lambda u: u.login_throttle.get("acme/ada")) is None


# -------------------------------------------------------------------------- audit


def audit(at, tenant="acme", **kw) -> AuditEntry:
    return AuditEntry(**{"id": new_audit_id(at), "tenant": tenant, "at_ms": at, "actor": "u-1", "action": "user.invite",
                         "target": "user:u-2", **kw})


async def test_audit_entries_are_queried_newest_first_with_filters_and_pages(uow):
    entries = [audit(T0 + i, action=("user.invite", "api_key.revoke", "http.post")[i % 3],
                     actor=("u-1", "api_key:k-1")[i % 2], before={"role": "viewer", "n": i}, after={"list": (1, 2)},
                     status=200 if i % 3 == 2 else None, remote_addr="2001:db8::1")
               for i in range(12)]
    await uow.run(lambda u: [u.audit.add(e) for e in entries + [audit(T0, "globex")]])

    everything = await uow.run(lambda u: u.audit.query(AuditQuery("acme", limit=1000)))
    assert [e.id for e in everything] == [e.id for e in reversed(entries)]
    assert [e.as_dict() for e in everything] == [e.as_dict() for e in reversed(entries)]
    assert everything[0].after == {"list": [1, 2]}

    page1 = await uow.run(lambda u: u.audit.query(AuditQuery("acme", limit=5)))
    page2 = await uow.run(lambda u: u.audit.query(AuditQuery("acme", limit=5, before=page1[-1].id)))
    assert [e.id for e in page1 + page2] == [e.id for e in everything[:10]]

    for query in (AuditQuery("acme", action="api_key.*"), AuditQuery("acme", action="user.invite"),
                  AuditQuery("acme", actor="api_key:k-1"), AuditQuery("acme", target="user:u-2"),
                  AuditQuery("acme", since_ms=T0 + 3, until_ms=T0 + 7)):
        got = await uow.run(lambda u, q=query: u.audit.query(q))
        assert [e.id for e in got] == [e.id for e in everything if query.matches(e)], query
    assert len(await uow.run(lambda u: u.audit.query(AuditQuery("globex")))) == 1


async def test_audit_purge_enforces_retention(uow):
    await uow.run(lambda u: [u.audit.add(audit(T0 + i)) for i in range(4)])
    assert await uow.run(lambda u: u.audit.purge(T0 + 2)) == 2
    assert [e.at_ms for e in await uow.run(lambda u: u.audit.query(AuditQuery("acme")))] == [T0 + 3, T0 + 2]


async def test_a_failed_unit_of_work_leaves_no_identity_change(uow):
    class Boom(Exception):
        pass

    def work(u):
        u.users.add(user())
        u.teams.add(Team("sre", "acme", "SRE"))
        u.audit.add(audit(T0))
        u.sessions.add(session()[0])
        raise Boom

    with pytest.raises(Boom):
        await uow.run(work)
    assert await uow.run(lambda u: (u.users.list("acme"), u.teams.list("acme"),
                                    u.audit.query(AuditQuery("acme")), u.sessions.list("acme", "u-1"))) == ([], [], [], [])
