"""SignInPolicy: who an identity provider may sign in, and as which role (admit, role_for)."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from domain.errors import AuthenticationFailed, ValidationError
from domain.identity import ExternalIdentity, Role, SignInPolicy

group_names = st.sampled_from(["ops", "dev", "sre", "admins", "Ops", "realm/admin", "acme/oncall"])
domains = st.sampled_from(["example.com", "corp.example.com", "other.org", "EXAMPLE.com"])
roles = st.sampled_from(Role)


@st.composite
def identities(draw) -> ExternalIdentity:
    email = draw(st.none() | st.builds(lambda local, d: f"{local}@{d}", st.sampled_from(["ann", "Bob.X"]), domains))
    return ExternalIdentity(
        provider="kc", issuer="https://idp.example.com", subject=draw(st.text(min_size=1, max_size=5).filter(str.strip)),
        email=email, email_verified=draw(st.booleans()), groups=tuple(draw(st.lists(group_names, max_size=4))),
    )


@st.composite
def policies(draw) -> SignInPolicy:
    return SignInPolicy(
        "kc", tenant=draw(st.sampled_from(["default", "acme"])),
        allowed_email_domains=draw(st.frozensets(domains, max_size=2)),
        allowed_groups=draw(st.frozensets(group_names, max_size=2)),
        role_from_groups=draw(st.dictionaries(group_names, roles, max_size=3)),
        default_role=draw(st.none() | roles),
    )


def identity(**kw) -> ExternalIdentity:
    return ExternalIdentity(**{"provider": "kc", "issuer": "https://idp.example.com", "subject": "u1", **kw})


def new_user_role(policy: SignInPolicy, who: ExternalIdentity) -> Role | str:
    """The role a first sign-in gets, or the refusal's message."""
    try:
        policy.admit(who)
        return policy.role_for(who)
    except AuthenticationFailed as refused:
        assert str(refused)
        return str(refused)


@given(policies(), identities())
def test_an_admission_respects_every_rule(policy, who):
    role = new_user_role(policy, who)
    if not isinstance(role, Role):
        return
    assert policy.allowed_email_domains or policy.allowed_groups or policy.default_role is not None
    if policy.allowed_email_domains:
        assert who.email_verified and who.email.rsplit("@", 1)[1].lower() in policy.allowed_email_domains
    if policy.allowed_groups:
        assert set(who.groups) & policy.allowed_groups
    mapped = [policy.role_from_groups[g] for g in who.groups if g in policy.role_from_groups]
    assert role == (max(mapped, key=lambda r: r.rank) if mapped else policy.default_role)


@given(policies(), identities())
def test_a_refusal_names_a_rule_that_failed(policy, who):
    if isinstance(new_user_role(policy, who), Role):
        return
    open_to_someone = bool(policy.allowed_email_domains or policy.allowed_groups or policy.default_role)
    email_ok = not policy.allowed_email_domains or (
        who.email_verified and who.email is not None
        and who.email.rsplit("@", 1)[1].lower() in policy.allowed_email_domains)
    groups_ok = not policy.allowed_groups or bool(set(who.groups) & policy.allowed_groups)
    has_role = policy.default_role is not None or any(g in policy.role_from_groups for g in who.groups)
    assert not (open_to_someone and email_ok and groups_ok and has_role)


@given(st.dictionaries(group_names, roles, min_size=1, max_size=4), roles, st.data())
def test_more_mapped_groups_never_lower_the_role(role_from_groups, default_role, data):
    policy = SignInPolicy("kc", "default", role_from_groups=role_from_groups, default_role=default_role)
    groups = data.draw(st.lists(st.sampled_from(sorted(role_from_groups)), min_size=1, max_size=3))
    extra = data.draw(st.lists(group_names, max_size=3))
    before = new_user_role(policy, identity(groups=tuple(groups)))
    after = new_user_role(policy, identity(groups=tuple(groups + extra)))
    assert isinstance(before, Role) and isinstance(after, Role) and after.includes(before)


@given(identities(), roles)
def test_an_explicit_default_role_alone_admits_everyone_with_it(who, role):
    assert new_user_role(SignInPolicy("kc", "default", default_role=role), who) is role


@given(identities(), st.dictionaries(group_names, roles, max_size=3), st.booleans())
def test_a_policy_naming_no_domain_group_or_default_role_admits_nobody(who, role_from_groups, create_users):
    """A public provider (Google, GitHub) configured with no rule lets nobody in, not
    everyone: mapping groups to roles says what members get, not who may come."""
    policy = SignInPolicy("google", "default", role_from_groups=role_from_groups, create_users=create_users)
    assert not policy.admits_anyone
    with pytest.raises(AuthenticationFailed, match="open to nobody.*allowed_email_domains, allowed_groups or "
                                                   "default_role"):
        policy.admit(who)


def test_the_default_role_is_unset_by_default():
    policy = SignInPolicy("kc", "acme", allowed_email_domains=frozenset({"example.com"}))
    assert policy.default_role is None
    admitted = identity(email="ann@example.com", email_verified=True, groups=("staff",))
    policy.admit(admitted)  # an invited user gets in with the role an admin gave
    with pytest.raises(AuthenticationFailed, match="none of your groups"):
        policy.role_for(admitted)  # a new one has none


def test_email_domains_are_case_insensitive_exact_and_verified():
    policy = SignInPolicy("kc", "acme", allowed_email_domains=frozenset({"@Example.com"}),
                          allowed_groups=frozenset({"oe-responders", "oe-admins"}), default_role="viewer")
    assert new_user_role(policy, identity(email="Ann@EXAMPLE.COM", email_verified=True, groups=("oe-admins",))) \
        is Role.VIEWER
    for bad, message in [({"email": "eve@evil.io"}, "evil.io"), ({"email": "ann@eu.example.com"}, "eu.example.com"),
                         ({"email_verified": False}, "verified"), ({"email": None}, "email address"),
                         ({"groups": ("staff",)}, "groups")]:
        who = identity(**{"email": "ada@example.com", "email_verified": True, "groups": ("oe-responders",), **bad})
        with pytest.raises(AuthenticationFailed, match=message):
            policy.admit(who)


def test_the_highest_mapped_role_wins_over_the_default():
    policy = SignInPolicy("kc", "acme", role_from_groups={"oncall": "responder", "platform": "admin"},
                          default_role="viewer")
    assert policy.role_for(identity(groups=("oncall", "platform"))) is Role.ADMIN
    assert policy.role_for(identity(groups=("oncall", "misc"))) is Role.RESPONDER
    assert policy.role_for(identity(groups=("misc",))) is Role.VIEWER


def test_allowed_groups_gate_before_roles():
    policy = SignInPolicy("kc", "default", allowed_groups=frozenset({"staff"}), role_from_groups={"ops": Role.ADMIN})
    assert "none of the groups" in new_user_role(policy, identity(groups=("ops",)))
    assert new_user_role(policy, identity(groups=("ops", "staff"))) is Role.ADMIN


def test_the_role_map_cannot_be_changed_after_construction():
    mapping = {"ops": "admin"}
    policy = SignInPolicy("kc", "default", role_from_groups=mapping, default_role="viewer")
    mapping["dev"] = "admin"
    assert dict(policy.role_from_groups) == {"ops": Role.ADMIN}
    with pytest.raises(TypeError):
        policy.role_from_groups["dev"] = Role.ADMIN  # type: ignore[index]


@pytest.mark.parametrize("kwargs, field", [
    ({"tenant": "Not A Tenant"}, "tenant"),
    ({"provider": " "}, "provider"),
    ({"role_from_groups": {"ops": "owner"}}, "role_from_groups.ops"),
    ({"default_role": "root"}, "default_role"),
    ({"allowed_groups": "ops"}, "allowed_groups"),
    ({"allowed_groups": frozenset({" "})}, "allowed_groups"),
    ({"allowed_email_domains": frozenset({"a@b.com"})}, "allowed_email_domains"),
    ({"role_from_groups": ["ops"]}, "role_from_groups"),
    ({"role_from_groups": {"": "admin"}}, "role_from_groups"),
])
def test_bad_configuration_is_refused_naming_the_field(kwargs, field):
    with pytest.raises(ValidationError) as err:
        SignInPolicy(**{"provider": "kc", "tenant": "default", **kwargs})
    assert err.value.field == field
