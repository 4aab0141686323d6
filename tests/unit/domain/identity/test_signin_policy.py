"""SignInPolicy.decide: who an external identity provider may sign in, and as which role."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from domain.errors import ValidationError
from domain.identity import Role
from domain.identity.external import ExternalIdentity
from domain.identity.signin_policy import Admitted, Refused, SignInPolicy

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
        tenant=draw(st.sampled_from(["default", "acme"])),
        allowed_email_domains=draw(st.frozensets(domains, max_size=2)),
        allowed_groups=draw(st.frozensets(group_names, max_size=2)),
        role_from_groups=draw(st.dictionaries(group_names, roles, max_size=3)),
        default_role=draw(st.none() | roles),
    )


def identity(**kw) -> ExternalIdentity:
    return ExternalIdentity(**{"provider": "kc", "issuer": "https://idp.example.com", "subject": "u1", **kw})


@given(policies(), identities())
def test_an_admission_respects_every_rule(policy, who):
    decision = policy.decide(who)
    if isinstance(decision, Refused):
        assert decision.reason
        return
    assert decision.tenant == policy.tenant
    if policy.allowed_email_domains:
        assert who.email_verified and who.email.rsplit("@", 1)[1].lower() in policy.allowed_email_domains
    if policy.allowed_groups:
        assert set(who.groups) & policy.allowed_groups
    mapped = [policy.role_from_groups[g] for g in who.groups if g in policy.role_from_groups]
    assert decision.role == (max(mapped, key=lambda r: r.rank) if mapped else policy.default_role)


@given(policies(), identities())
def test_a_refusal_names_a_rule_that_failed(policy, who):
    if not isinstance(policy.decide(who), Refused):
        return
    email_ok = not policy.allowed_email_domains or (
        who.email_verified and who.email is not None
        and who.email.rsplit("@", 1)[1].lower() in policy.allowed_email_domains)
    groups_ok = not policy.allowed_groups or bool(set(who.groups) & policy.allowed_groups)
    has_role = policy.default_role is not None or any(g in policy.role_from_groups for g in who.groups)
    assert not (email_ok and groups_ok and has_role)


@given(st.dictionaries(group_names, roles, min_size=1, max_size=4), st.none() | roles, st.data())
def test_more_mapped_groups_never_lower_the_role(role_from_groups, default_role, data):
    policy = SignInPolicy("default", role_from_groups=role_from_groups, default_role=default_role)
    groups = data.draw(st.lists(st.sampled_from(sorted(role_from_groups)), min_size=1, max_size=3))
    extra = data.draw(st.lists(group_names, max_size=3))
    before, after = policy.decide(identity(groups=tuple(groups))), policy.decide(identity(groups=tuple(groups + extra)))
    assert isinstance(before, Admitted) and isinstance(after, Admitted)
    assert after.role.includes(before.role)


@given(identities(), roles)
def test_without_restrictions_everyone_gets_the_default_role(who, role):
    assert SignInPolicy("default", default_role=role).decide(who) == Admitted("default", role)


def test_nobody_is_admitted_without_a_role_by_default():
    decision = SignInPolicy("default").decide(identity(email="ann@example.com", email_verified=True))
    assert isinstance(decision, Refused) and "role" in decision.reason


def test_email_domains_are_case_insensitive_and_exact():
    policy = SignInPolicy("default", allowed_email_domains=frozenset({"@Example.com"}), default_role=Role.VIEWER)
    assert policy.decide(identity(email="Ann@EXAMPLE.COM", email_verified=True)) == Admitted("default", Role.VIEWER)
    assert isinstance(policy.decide(identity(email="ann@eu.example.com", email_verified=True)), Refused)
    unverified = policy.decide(identity(email="ann@example.com", email_verified=False))
    assert isinstance(unverified, Refused) and "verified" in unverified.reason
    assert isinstance(policy.decide(identity()), Refused)


def test_the_highest_mapped_role_wins_over_the_default():
    policy = SignInPolicy("acme", role_from_groups={"oncall": "responder", "platform": "admin"}, default_role="viewer")
    assert policy.decide(identity(groups=("oncall", "platform"))) == Admitted("acme", Role.ADMIN)
    assert policy.decide(identity(groups=("oncall", "misc"))) == Admitted("acme", Role.RESPONDER)
    assert policy.decide(identity(groups=("misc",))) == Admitted("acme", Role.VIEWER)


def test_allowed_groups_gate_before_roles():
    policy = SignInPolicy("default", allowed_groups=frozenset({"staff"}), role_from_groups={"ops": Role.ADMIN})
    assert isinstance(policy.decide(identity(groups=("ops",))), Refused)
    assert policy.decide(identity(groups=("ops", "staff"))) == Admitted("default", Role.ADMIN)


@pytest.mark.parametrize("kwargs, field", [
    ({"tenant": "Not A Tenant"}, "tenant"),
    ({"tenant": "default", "role_from_groups": {"ops": "owner"}}, "role_from_groups.ops"),
    ({"tenant": "default", "default_role": "root"}, "default_role"),
    ({"tenant": "default", "allowed_groups": "ops"}, "allowed_groups"),
    ({"tenant": "default", "allowed_groups": frozenset({" "})}, "allowed_groups"),
    ({"tenant": "default", "allowed_email_domains": frozenset({"a@b.com"})}, "allowed_email_domains"),
    ({"tenant": "default", "role_from_groups": ["ops"]}, "role_from_groups"),
])
def test_bad_configuration_is_refused_naming_the_field(kwargs, field):
    with pytest.raises(ValidationError) as err:
        SignInPolicy(**kwargs)
    assert err.value.field == field
