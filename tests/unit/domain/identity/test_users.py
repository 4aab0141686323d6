"""Users: status lifecycle, invitations, passwords, profile fields; teams."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from domain.errors import InvalidTransition, LimitExceeded, ValidationError
from domain.identity import (
    Contact,
    ContactKind,
    ExternalAccount,
    Role,
    Team,
    Totp,
    User,
    UserStatus,
    check_new_password,
    hash_token,
    normalize_username,
)
from domain.identity.profile import parse_contacts

T0 = 1_700_000_000_000
DAY = 86_400_000


def user(**kw) -> User:
    args = {"id": "u-1", "tenant": "acme", "username": "ada", "email": "ada@example.com", "name": "Ada",
            "role": Role.RESPONDER, "created_at_ms": T0, **kw}
    return User(**args)


def test_invitation_then_password_makes_the_user_active():
    invited = user(status=UserStatus.INVITED).invite(hash_token("tok"), T0)
    assert invited.invite_expires_at_ms == T0 + 7 * DAY
    assert invited.invitation_valid(hash_token("tok"), T0 + DAY)
    assert not invited.invitation_valid(hash_token("other"), T0 + DAY)
    assert not invited.invitation_valid(hash_token("tok"), T0 + 7 * DAY)  # expired
    active = invited.set_password("hashed")
    assert active.status is UserStatus.ACTIVE and active.password_hash == "hashed"
    assert active.invite_token_hash is None and not active.invitation_valid(hash_token("tok"), T0)


def test_a_new_invitation_replaces_the_old_token():
    first = user(status=UserStatus.INVITED).invite(hash_token("one"), T0)
    second = first.invite(hash_token("two"), T0 + 1)
    assert not second.invitation_valid(hash_token("one"), T0 + 2) and second.invitation_valid(hash_token("two"), T0 + 2)


def test_deactivation_and_reactivation():
    active = user(password_hash="h")
    gone = active.deactivate(T0 + 5)
    assert gone.status is UserStatus.DEACTIVATED and gone.deactivated_at_ms == T0 + 5
    assert gone.deactivate(T0 + 9) is gone
    with pytest.raises(InvalidTransition):
        gone.invite(hash_token("x"), T0)
    with pytest.raises(InvalidTransition):
        gone.set_password("h2")
    with pytest.raises(InvalidTransition):
        gone.link(ExternalAccount("kc", "https://kc", "sub"))
    assert gone.reactivate().status is UserStatus.ACTIVE
    never_set = user(status=UserStatus.INVITED).deactivate(T0).reactivate()
    assert never_set.status is UserStatus.INVITED  # no way to sign in yet: back to invited
    linked = user(status=UserStatus.INVITED).link(ExternalAccount("kc", "https://kc", "sub"))
    assert linked.status is UserStatus.ACTIVE and linked.deactivate(T0).reactivate().active


def test_principal_carries_the_platform_flag_and_how_they_signed_in():
    p = user(platform_admin=True).principal(auth="oidc:kc", session_id="ses_1")
    assert (p.auth, p.session_id, p.platform_admin, p.username, p.user_id) == ("oidc:kc", "ses_1", True, "ada", "u-1")


def test_mfa_counts_a_confirmed_enrolment_only():
    assert not user().mfa_enabled
    assert not user(totp=Totp("sealed")).mfa_enabled
    assert user(totp=Totp("sealed", confirmed=True)).mfa_enabled
    assert "sealed" not in repr(user(totp=Totp("sealed"), password_hash="hash-xyz"))
    assert "hash-xyz" not in repr(user(password_hash="hash-xyz"))


def test_dormancy():
    idle = 45 * DAY
    assert not user().dormant(T0 + idle, idle)
    assert user().dormant(T0 + idle + 1, idle)  # never signed in since creation
    assert not user().signed_in(T0 + idle, mfa=False).dormant(T0 + idle + 1, idle)
    assert not user(status=UserStatus.DEACTIVATED).dormant(T0 + 2 * idle, idle)


@pytest.mark.parametrize("password", ["short", "x" * 1025, "aaaaaaaaaaaaaaa", "ada@example.com", 5])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError) as info:
        check_new_password(password, username="ada", email="ada@example.com")
    assert info.value.field == "password"


def test_a_decent_password_passes():
    assert check_new_password("correct horse battery", username="ada") == "correct horse battery"


@pytest.mark.parametrize(("raw", "clean"), [(" Ada ", "ada"), ("ops.team-1", "ops.team-1"), ("a@b.io", "a@b.io")])
def test_usernames(raw, clean):
    assert normalize_username(raw) == clean


@given(st.text(max_size=80))
def test_username_validation_only_raises_validation_error(text):
    try:
        name = normalize_username(text)
    except ValidationError as exc:
        assert exc.field == "username"
    else:
        assert name == name.strip().lower() and 1 <= len(name) <= 64 and " " not in name


def test_contacts():
    parsed = parse_contacts([{"kind": "email", "address": "Ops@Example.COM"}, {"kind": "sms", "address": "+49 170 1234567"},
                             {"kind": "slack", "address": "@ada"}, Contact(ContactKind.PHONE, "(030) 1234-5678")])
    assert [c.as_dict() for c in parsed][0] == {"kind": "email", "address": "Ops@example.com"}
    for bad, field in [([{"kind": "pager", "address": "1"}], "contacts[0].kind"),
                       ([{"kind": "sms", "address": "call me"}], "contacts[0].address"),
                       ([{"kind": "email", "address": "x@y.io"}, {"kind": "email", "address": "x@y.io"}], "contacts[1]"),
                       ("email", "contacts"), ([5], "contacts[0]")]:
        with pytest.raises(ValidationError) as info:
            parse_contacts(bad)
        assert info.value.field == field
    with pytest.raises(LimitExceeded):
        parse_contacts([{"kind": "slack", "address": f"u{i}"} for i in range(11)])


def test_teams():
    team = Team("sre", "acme", "Site reliability", members=["u-1"])
    assert team.members == {"u-1"} and team.with_member("u-2").members == {"u-1", "u-2"}
    assert team.with_member("u-2").without_member("u-1").members == {"u-2"}
    for kwargs, field in [({"id": "SRE"}, "id"), ({"name": ""}, "name"), ({"members": "u-1"}, "members"),
                          ({"description": "x" * 1001}, "description")]:
        with pytest.raises(ValidationError) as info:
            Team(**{"id": "sre", "tenant": "acme", "name": "SRE", **kwargs})
        assert info.value.field == field
