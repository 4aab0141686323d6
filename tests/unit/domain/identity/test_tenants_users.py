"""Tenants and users: slugs, names, emails."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from domain.errors import ValidationError
from domain.identity import Permission, Principal, Role, Tenant, User, normalize_email, validate_tenant_id


@pytest.mark.parametrize("tenant_id", ["a", "acme", "acme-corp", "t1", "0", "a" * 63, "a-b-c"])
def test_valid_tenant_ids(tenant_id):
    assert Tenant(tenant_id, "Acme").id == tenant_id


@pytest.mark.parametrize("tenant_id", ["", "Acme", "acme_corp", "a" * 64, "-acme", "acme-", "ac me", "é", None, 5])
def test_invalid_tenant_ids(tenant_id):
    with pytest.raises(ValidationError) as info:
        Tenant(tenant_id, "Acme")
    assert info.value.field == "id"


@given(st.text(max_size=70))
def test_tenant_id_validation_only_raises_validation_error(text):
    try:
        assert validate_tenant_id(text) == text
    except ValidationError as exc:
        assert exc.field == "tenant"
    else:
        assert 1 <= len(text) <= 63 and set(text) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")


def test_tenant_name_is_trimmed_and_checked():
    assert Tenant("acme", "  Acme Corp ").name == "Acme Corp"
    for bad in ("", "   ", "a\nb", "x" * 201, None):
        with pytest.raises(ValidationError) as info:
            Tenant("acme", bad)
        assert info.value.field == "name"


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("ada@example.com", "ada@example.com"),
        ("Ada.Lovelace+oncall@Example.COM", "Ada.Lovelace+oncall@example.com"),
        ("  ops@sub.example.org ", "ops@sub.example.org"),
        ("o'brien@example.ie", "o'brien@example.ie"),
    ],
)
def test_valid_emails(raw, normalized):
    assert normalize_email(raw) == normalized


@pytest.mark.parametrize(
    "raw", ["", "ada", "ada@", "@example.com", "ada@example", "ada@@example.com", "a da@example.com",
            "ada@example..com", "ada@.example.com", "ada@example.com.", "a\x00@example.com", "x" * 250 + "@a.io", 42],
)
def test_invalid_emails(raw):
    with pytest.raises(ValidationError) as info:
        normalize_email(raw)
    assert info.value.field == "email"


def test_user_validation_and_principal():
    user = User("u-1", "acme", " Ada ", "Ada@Example.com", "Ada", "responder")
    assert user.role is Role.RESPONDER and user.email == "Ada@example.com" and user.username == "ada"
    principal = user.principal()
    assert principal == Principal("acme", "u-1", Role.RESPONDER, username="ada", auth="local")
    assert principal.can(Permission.ACT_ON_INCIDENTS) and not principal.can(Permission.MANAGE_USERS)
    for kwargs, field in [({"id": ""}, "id"), ({"id": "api_key:x"}, "id"), ({"tenant": "Acme"}, "tenant"),
                          ({"email": "nope"}, "email"), ({"name": ""}, "name"), ({"role": "owner"}, "role"),
                          ({"username": "a b"}, "username"), ({"username": ""}, "username"),
                          ({"status": "gone"}, "status"), ({"timezone": "Mars/Olympus"}, "timezone"),
                          ({"contacts": [{"kind": "fax", "address": "1"}]}, "contacts[0].kind"),
                          ({"invite_token_hash": "x"}, "invite")]:
        args = {"id": "u-1", "tenant": "acme", "username": "ada", "email": "a@b.io", "name": "Ada",
                "role": Role.ADMIN, **kwargs}
        with pytest.raises(ValidationError) as info:
            User(**args)
        assert info.value.field == field


def test_tenant_deactivation_is_idempotent():
    tenant = Tenant("acme", "Acme", created_at_ms=5)
    assert tenant.active
    gone = tenant.deactivate(10)
    assert not gone.active and gone.deactivated_at_ms == 10
    assert gone.deactivate(20) is gone
    assert gone.reactivate().active and gone.reactivate().deactivated_at_ms is None
    with pytest.raises(ValidationError) as info:
        Tenant("acme", "Acme", status="paused")
    assert info.value.field == "status"
