"""Sessions (idle and absolute expiry, touch granularity, CSRF binding), one-time
tokens, audit entries and queries, and the identity providers' sign-in policy."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from domain.errors import AuthenticationFailed, ValidationError
from domain.identity import (
    AuditEntry,
    AuditQuery,
    ExternalIdentity,
    OneTimeToken,
    Role,
    Session,
    SignInPolicy,
    hash_token,
    new_audit_id,
)
from domain.identity.sessions import TOUCH_GRANULARITY_MS

T0 = 1_700_000_000_000
HOUR = 3_600_000


def start(**kw):
    args = {"idle_ms": 12 * HOUR, "lifetime_ms": 7 * 24 * HOUR, **kw}
    return Session.start("acme", "u-1", "local", T0, **args)


def test_a_session_stores_hashes_only_and_binds_its_csrf_token():
    session, token, csrf = start()
    assert session.token_hash == hash_token(token) and token not in repr(session) and csrf not in repr(session)
    assert session.csrf_matches(csrf) and not session.csrf_matches(token) and not session.csrf_matches("")
    assert not session.csrf_matches(None)
    other, _, other_csrf = start()
    assert not session.csrf_matches(other_csrf) and other.id != session.id


def test_idle_timeout_slides_but_the_lifetime_does_not():
    session, _, _ = start(idle_ms=HOUR, lifetime_ms=3 * HOUR)
    assert session.is_active(T0 + HOUR - 1) and not session.is_active(T0 + HOUR)
    now = T0
    while now + HOUR // 2 < T0 + 3 * HOUR:
        now += HOUR // 2
        assert session.is_active(now)
        session = session.touched(now)
    assert not session.is_active(T0 + 3 * HOUR)  # absolute end, however busy


def test_touch_writes_only_past_the_granularity():
    session, _, _ = start()
    assert session.touched(T0 + TOUCH_GRANULARITY_MS - 1) is session
    assert session.touched(T0 + TOUCH_GRANULARITY_MS).last_seen_at_ms == T0 + TOUCH_GRANULARITY_MS


@given(st.lists(st.integers(0, 2 * HOUR), max_size=30))
def test_an_active_session_stays_active_when_touched_within_the_idle_timeout(gaps):
    session, _, _ = start(idle_ms=HOUR, lifetime_ms=10**12)
    now = T0
    for gap in gaps:
        now += gap
        expected = now - session.last_seen_at_ms < HOUR
        assert session.is_active(now) == expected
        if not expected:
            return
        session = session.touched(now)
        assert now - session.last_seen_at_ms < TOUCH_GRANULARITY_MS


def test_revocation():
    session, _, _ = start()
    revoked = session.revoke(T0 + 1)
    assert not revoked.is_active(T0 + 2) and revoked.revoke(T0 + 5) is revoked


def test_one_time_token_validation():
    assert OneTimeToken("stream_ticket", hash_token("t"), T0, {"a": 1}).payload == {"a": 1}
    for kwargs, field in [({"kind": ""}, "kind"), ({"token_hash": "x"}, "token_hash"), ({"payload": []}, "payload")]:
        with pytest.raises(ValidationError) as info:
            OneTimeToken(**{"kind": "k", "token_hash": hash_token("t"), "expires_at_ms": T0, **kwargs})
        assert info.value.field == field


def entry(at=T0, **kw) -> AuditEntry:
    args = {"id": new_audit_id(at), "tenant": "acme", "at_ms": at, "actor": "u-1", "action": "user.invite",
            "target": "user:u-2", **kw}
    return AuditEntry(**args)


def test_audit_ids_sort_by_time():
    ids = [new_audit_id(T0 + d) for d in (0, 1, 1000, 10**9)]
    assert ids == sorted(ids)


def test_audit_query_filters_and_pages():
    older, newer = entry(T0), entry(T0 + 10, action="api_key.revoke", actor="u-9", target="api_key:k")
    assert AuditQuery("acme").matches(older)
    assert not AuditQuery("globex").matches(older)
    assert AuditQuery("acme", action="user.*").matches(older) and not AuditQuery("acme", action="user.*").matches(newer)
    assert AuditQuery("acme", action="api_key.revoke").matches(newer)
    assert AuditQuery("acme", actor="u-9").matches(newer) and not AuditQuery("acme", actor="u-9").matches(older)
    assert AuditQuery("acme", target="api_key:k").matches(newer)
    assert AuditQuery("acme", since_ms=T0 + 1).matches(newer) and not AuditQuery("acme", since_ms=T0 + 1).matches(older)
    assert not AuditQuery("acme", until_ms=T0 + 10).matches(newer)
    assert AuditQuery("acme", before=newer.id).matches(older) and not AuditQuery("acme", before=older.id).matches(newer)


@pytest.mark.parametrize(("kwargs", "field"), [({"limit": 0}, "limit"), ({"limit": 1001}, "limit"),
                                              ({"before": "x"}, "before"), ({"action": "User"}, "action"),
                                              ({"since_ms": -1}, "since_ms")])
def test_audit_query_validation(kwargs, field):
    with pytest.raises(ValidationError) as info:
        AuditQuery("acme", **kwargs)
    assert info.value.field == field


def test_audit_entry_validation():
    assert entry(before={"role": "viewer"}, after={"role": "admin"}).as_dict()["after"] == {"role": "admin"}
    for kwargs, field in [({"id": "1"}, "id"), ({"actor": ""}, "actor"), ({"action": "invite"}, "action"),
                          ({"status": "200"}, "status"), ({"actor_tenant": "Ops"}, "actor_tenant")]:
        with pytest.raises(ValidationError) as info:
            entry(**kwargs)
        assert info.value.field == field


def ident(**kw) -> ExternalIdentity:
    args = {"provider": "kc", "issuer": "https://kc.example.com", "subject": "s-1", "email": "ada@example.com",
            "email_verified": True, "groups": ("oe-responders",), **kw}
    return ExternalIdentity(**args)


def test_sign_in_policy_admits_by_domain_and_group():
    policy = SignInPolicy.from_config("kc", {"tenant": "acme", "allowed_email_domains": ["@Example.com"],
                                             "allowed_groups": ["oe-responders", "oe-admins"]})
    policy.admit(ident())
    for bad, message in [(ident(email="eve@evil.io"), "evil.io"), (ident(email_verified=False), "verified"),
                         (ident(email=None), "verified"), (ident(groups=("staff",)), "group")]:
        with pytest.raises(AuthenticationFailed, match=message):
            policy.admit(bad)


def test_sign_in_policy_maps_the_highest_role():
    policy = SignInPolicy("kc", "acme", role_from_groups={"oe-admins": "admin", "oe-responders": "responder"})
    assert policy.role_for(ident(groups=("oe-responders", "oe-admins"))) is Role.ADMIN
    assert policy.role_for(ident(groups=("staff",))) is Role.VIEWER
    strict = SignInPolicy("kc", "acme", role_from_groups={"oe-admins": "admin"}, default_role=None)
    with pytest.raises(AuthenticationFailed):
        strict.role_for(ident(groups=("staff",)))


@pytest.mark.parametrize(("config", "field"), [({"tenant": "Acme"}, "tenant"), ({"role_from_groups": {"g": "root"}}, "role_from_groups.g"),
                                               ({"allowed_groups": "g"}, "allowed_groups"), ({"colour": 1}, "kc.colour"),
                                               ({"default_role": "boss"}, "default_role")])
def test_sign_in_policy_validation(config, field):
    with pytest.raises(ValidationError) as info:
        SignInPolicy.from_config("kc", config)
    assert info.value.field == field
