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
    assert admin.permissions == frozenset(Permission)


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
