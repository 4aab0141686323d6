"""API keys: round trip, tampering, revocation, expiry, parsing."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given, strategies as st

from domain.errors import ValidationError
from domain.identity import (
    ApiKeyScope,
    Permission,
    Role,
    generate_api_key,
    hash_secret,
    parse_api_key,
)

NOW = 1_700_000_000_000
DAY = 86_400_000


def mint(**kwargs):
    args = {"tenant": "acme", "name": "ci agent", "scopes": {ApiKeyScope.INGEST}, "now_ms": NOW, "id": "k1", **kwargs}
    return generate_api_key(**args)


def test_generate_then_verify_round_trip():
    key, plaintext = mint()
    assert re.fullmatch(r"oe_[0-9a-f]{12}_[0-9a-f]{64}", plaintext)
    prefix, secret = parse_api_key(plaintext)
    assert key.prefix == prefix
    assert key.secret_hash == hash_secret(secret) != secret
    assert secret not in repr(key) and key.secret_hash not in repr(key)
    assert key.masked == f"oe_{prefix}_…"
    assert key.verify(plaintext, NOW)
    assert key.verify(plaintext + "\n", NOW + DAY)  # a pasted newline is tolerated
    assert (key.created_at_ms, key.expires_at_ms, key.revoked_at_ms) == (NOW, None, None)


def test_keys_are_unique():
    (a, pa), (b, pb) = mint(), mint()
    assert pa != pb and a.prefix != b.prefix and a.secret_hash != b.secret_hash
    assert not a.verify(pb, NOW) and not b.verify(pa, NOW)


def _flip(ch: str) -> str:
    return "0" if ch != "0" else "1"


@given(st.data())
def test_any_tampered_character_fails(data):
    key, plaintext = mint()
    # positions after "oe_", skipping the separator between prefix and secret
    i = data.draw(st.sampled_from([j for j in range(3, len(plaintext)) if plaintext[j] != "_"]))
    tampered = plaintext[:i] + _flip(plaintext[i]) + plaintext[i + 1 :]
    assert not key.verify(tampered, NOW)


@pytest.mark.parametrize("bad", ["", "oe_", "not a key", None, 42, b"oe_x"])
def test_malformed_input_does_not_verify(bad):
    key, _ = mint()
    assert key.verify(bad, NOW) is False


def test_revoked_key_fails_and_revoke_is_idempotent():
    key, plaintext = mint()
    revoked = key.revoke(NOW + 10)
    assert revoked.revoked and revoked.revoked_at_ms == NOW + 10
    assert not key.revoked  # immutable: the original is unchanged
    assert not revoked.verify(plaintext, NOW + 5)  # revocation counts whenever it happened
    assert not revoked.verify(plaintext, NOW + 20)
    assert revoked.revoke(NOW + 99) is revoked
    with pytest.raises(ValidationError):
        key.revoke(-1)


def test_expired_key_fails():
    key, plaintext = mint(expires_at_ms=NOW + DAY)
    assert key.verify(plaintext, NOW + DAY - 1)
    assert not key.verify(plaintext, NOW + DAY)
    assert key.expired(NOW + DAY) and not key.is_active(NOW + DAY)


def test_scopes_and_principal():
    key, _ = mint(scopes=["ingest", "read"])
    assert key.scopes == {ApiKeyScope.INGEST, ApiKeyScope.READ}
    assert Permission.INGEST_TELEMETRY in key.permissions and Permission.READ_ALERTS in key.permissions
    principal = key.principal()
    assert (principal.tenant, principal.subject, principal.role) == ("acme", "api_key:k1", Role.ADMIN)
    assert principal.can(Permission.INGEST_TELEMETRY) and principal.can(Permission.READ_INCIDENTS)
    assert not principal.can(Permission.MANAGE_USERS) and not principal.can(Permission.ACT_ON_INCIDENTS)
    admin, _ = mint(scopes=[ApiKeyScope.ADMIN])
    assert admin.permissions == frozenset(Permission) - {Permission.MANAGE_TENANTS}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"scopes": []}, "scopes"),
        ({"scopes": "ingest"}, "scopes"),
        ({"scopes": ["write"]}, "scopes"),
        ({"tenant": "ACME"}, "tenant"),
        ({"name": ""}, "name"),
        ({"id": ""}, "id"),
        ({"now_ms": -1}, "created_at_ms"),
        ({"expires_at_ms": NOW}, "expires_at_ms"),
        ({"expires_at_ms": NOW - 1}, "expires_at_ms"),
    ],
)
def test_generate_validation(kwargs, field):
    with pytest.raises(ValidationError) as info:
        mint(**kwargs)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("change", "field"),
    [({"prefix": "XYZ"}, "prefix"), ({"secret_hash": "abc"}, "secret_hash"), ({"revoked_at_ms": -3}, "revoked_at_ms")],
)
def test_stored_key_validation(change, field):
    key, _ = mint()
    with pytest.raises(ValidationError) as info:
        dataclasses.replace(key, **change)
    assert info.value.field == field


@pytest.mark.parametrize(
    "bad",
    [
        "oe_abc_def",
        "OE_" + "a" * 12 + "_" + "b" * 64,
        "oe_" + "A" * 12 + "_" + "b" * 64,
        "oe_" + "a" * 12 + "_" + "b" * 63,
        "oe_" + "a" * 12 + "_" + "b" * 65,
        "oe_" + "a" * 12 + "b" * 65,
        "oe_" + "a" * 12 + "__" + "b" * 64,
        "xx_" + "a" * 12 + "_" + "b" * 64,
        "oe_" + "a" * 12 + "_" + "g" * 64,
    ],
)
def test_parse_rejects_malformed_keys_without_echoing_them(bad):
    with pytest.raises(ValidationError) as info:
        parse_api_key(bad)
    assert info.value.field == "api_key"
    assert bad not in str(info.value)


@given(st.one_of(st.text(), st.binary(), st.none(), st.integers(), st.lists(st.text()),
                 st.from_regex(r"oe_[0-9a-fA-F_]{0,80}", fullmatch=True)))
def test_parse_fuzz_raises_only_validation_error(value):
    try:
        prefix, secret = parse_api_key(value)
    except ValidationError as exc:
        assert exc.field == "api_key"
    else:
        assert value.strip() == f"oe_{prefix}_{secret}"


def test_default_expiry_is_90_days_and_never_must_be_asked_for():
    from domain.identity import key_expiry

    assert key_expiry(NOW) == NOW + 90 * DAY
    assert key_expiry(NOW, 7) == NOW + 7 * DAY
    assert key_expiry(NOW, never_expires=True) is None
    for days in (0, -1, 3651, True, "30"):
        with pytest.raises(ValidationError) as info:
            key_expiry(NOW, days)
        assert info.value.field == "expires_in_days"
    with pytest.raises(ValidationError):
        key_expiry(NOW, 30, never_expires=True)


def test_rotation_keeps_name_scopes_owner_and_lifetime():
    key, old_plain = mint(scopes=["responder"], expires_at_ms=NOW + 30 * DAY, owner="u-1")
    old, new, plain = key.rotate(NOW + DAY, "k2")
    assert (new.name, new.scopes, new.owner, new.id) == (key.name, key.scopes, "u-1", "k2")
    assert new.expires_at_ms == NOW + DAY + 30 * DAY and new.verify(plain, NOW + DAY)
    assert old.revoked and not old.verify(old_plain, NOW + DAY)
    forever, _ = mint()
    assert forever.rotate(NOW + 1, "k3")[1].expires_at_ms is None


def test_rotation_with_grace_keeps_the_old_key_working_a_while():
    key, old_plain = mint(expires_at_ms=NOW + 30 * DAY)
    old, _, _ = key.rotate(NOW + DAY, "k2", grace_ms=3_600_000)
    assert old.verify(old_plain, NOW + DAY + 3_599_999) and not old.verify(old_plain, NOW + DAY + 3_600_000)
    soon, _ = mint(expires_at_ms=NOW + 10)
    assert soon.rotate(NOW + 1, "k2", grace_ms=3_600_000)[0].expires_at_ms == NOW + 10  # never extended
    with pytest.raises(ValidationError):
        key.revoke(NOW).rotate(NOW + 1, "k2")


def test_a_key_exceeding_its_owners_role():
    responder, _ = mint(scopes=["responder"])
    assert responder.exceeds(Role.VIEWER) and not responder.exceeds(Role.RESPONDER)
    assert not mint(scopes=["read"])[0].exceeds(Role.VIEWER)
    assert mint(scopes=["ingest"])[0].exceeds(Role.RESPONDER)  # ingest is an admin permission
    with pytest.raises(ValidationError) as info:
        mint(owner="")
    assert info.value.field == "owner"
