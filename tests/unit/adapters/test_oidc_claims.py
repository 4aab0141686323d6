"""adapters.oidc: reading claims into an ExternalIdentity, peeking at unverified JWTs,
the callback checks, and the outgoing HTTP guard rails."""

from __future__ import annotations

import asyncio
import base64
import json

import httpx
import pytest
from hypothesis import given, strategies as st
from joserfc import jwt
from joserfc.jwk import RSAKey

from adapters.oidc.claims import claim_at, identity_from_claims, string_list
from adapters.oidc.flow import check_callback, error_code, new_flow_secrets
from adapters.oidc.http import ProviderHttp, check_url
from adapters.oidc.tokens import peek_claims, safe_algorithms
from domain.errors import AuthenticationFailed

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)
names = st.text(alphabet="abcdefgh_", min_size=1, max_size=6)


@given(st.lists(names, min_size=1, max_size=4), json_values)
def test_a_dotted_path_reaches_into_nested_claims(path, value):
    claims: object = value
    for part in reversed(path):
        claims = {part: claims}
    assert claim_at(claims, ".".join(path)) == value


@given(st.dictionaries(st.text(max_size=12), json_values, max_size=5), st.text(max_size=12))
def test_claim_lookup_and_group_lists_never_raise(claims, path):
    groups = string_list(claim_at(claims, path))
    assert all(isinstance(g, str) and g for g in groups)


def test_a_claim_named_with_dots_is_found_by_its_full_name_first():
    claims = {"https://example.com/groups": ["a"], "realm_access": {"roles": ["r"]}}
    assert claim_at(claims, "https://example.com/groups") == ["a"]
    assert claim_at(claims, "realm_access.roles") == ["r"]
    assert claim_at(claims, "realm_access.missing") is None and claim_at(claims, "realm_access.roles.x") is None


def test_group_claims_of_any_shape():
    assert string_list("solo") == ("solo",)
    assert string_list(["a", 2, True, None, {"x": 1}, ""]) == ("a", "2")
    assert string_list({"a": 1}) == () and string_list(None) == ()


def test_identity_from_claims_maps_the_standard_claims():
    who = identity_from_claims("okta", {
        "iss": "https://acme.okta.com", "sub": "00u1", "email": "ann@acme.com", "email_verified": "true",
        "given_name": "Ann", "family_name": "Lee", "nickname": "ann", "roles": "admins", "amr": ["mfa", "pwd"],
    }, groups_claim="roles")
    assert (who.issuer, who.subject, who.email, who.email_verified) == ("https://acme.okta.com", "00u1", "ann@acme.com", True)
    assert (who.name, who.username, who.groups, who.multi_factor) == ("Ann Lee", "ann", ("admins",), True)
    bare = identity_from_claims("g", {"iss": "https://accounts.google.com", "sub": "1", "email_verified": 1},
                                groups_claim="groups")
    assert (bare.email, bare.email_verified, bare.name, bare.username, bare.groups) == (None, False, None, None, ())


@given(st.text(max_size=200))
def test_peeking_at_anything_that_is_not_a_jwt_gives_none(text):
    assert peek_claims(text) is None or isinstance(peek_claims(text), dict)


def b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


@given(json_values, json_values, st.text(alphabet="abcXYZ019-_", max_size=20))
def test_peeking_at_any_json_in_jws_shape_never_raises(header, payload, signature):
    claims = peek_claims(f"{b64(header)}.{b64(payload)}.{signature}")
    assert claims is None or claims == payload


def test_peeking_reads_the_payload_without_verifying_it():
    key = RSAKey.generate_key(2048)
    token = jwt.encode({"alg": "RS256"}, {"iss": "https://idp", "sub": "s"}, key, algorithms=["RS256"])
    assert peek_claims(token) == {"iss": "https://idp", "sub": "s"}
    header, payload, _ = token.split(".")
    assert peek_claims(f"{header}.{payload}.forged") == {"iss": "https://idp", "sub": "s"}
    assert peek_claims("e30.W10.sig") is None  # a JSON array payload is not a claims set


def test_only_asymmetric_algorithms_are_ever_accepted():
    assert safe_algorithms(["none", "HS256", "RS256", "ES256", "HS512"]) == ("RS256", "ES256")


def test_flow_secrets_are_fresh_and_pkce_shaped():
    a, b = new_flow_secrets(), new_flow_secrets()
    assert len({a.state, a.nonce, a.code_verifier, b.state, b.nonce, b.code_verifier}) == 6
    assert 43 <= len(a.code_verifier) <= 128 and a.code_challenge != a.code_verifier


@pytest.mark.parametrize("callback, reason", [
    ({"error": "access_denied", "state": "s"}, r"did not sign you in \(access_denied\)"),
    ({"code": "c", "state": "other"}, "state"),
    ({"code": "c"}, "state"),
    ({"code": "c", "state": "s", "iss": "https://evil"}, "iss"),
    ({"state": "s"}, "no sign-in code"),
])
def test_callback_checks(callback, reason):
    with pytest.raises(AuthenticationFailed, match=reason):
        check_callback("Keycloak", {"state": "s"}, callback, issuer="https://idp")


def test_the_iss_parameter_is_required_when_the_provider_promises_it():
    check_callback("Keycloak", {"state": "s"}, {"code": "c", "state": "s"}, issuer="https://idp")
    with pytest.raises(AuthenticationFailed, match="iss"):
        check_callback("Keycloak", {"state": "s"}, {"code": "c", "state": "s"}, issuer="https://idp", iss_required=True)


@given(st.text(max_size=80))
def test_error_codes_are_echoed_only_when_they_look_like_one(text):
    shown = error_code(text)
    assert shown == text or shown == "unknown error"
    assert "<" not in shown and " " not in shown.replace("unknown error", "")


@pytest.mark.parametrize("url, allow_http, ok", [
    ("https://idp.example.com/x", False, True),
    ("http://127.0.0.1:8080/x", False, True),
    ("http://localhost/x", False, True),
    ("http://[::1]:80/x", False, True),
    ("http://keycloak:8080/realms/x", False, False),
    ("http://keycloak:8080/realms/x", True, True),
    ("ftp://idp.example.com", True, False),
    ("/relative", True, False),
])
def test_provider_urls_are_https_unless_loopback_or_allowed(url, allow_http, ok):
    if ok:
        assert check_url(url, what="issuer", allow_http=allow_http) == url
    else:
        with pytest.raises(ValueError, match="issuer must be an https:// URL"):
            check_url(url, what="issuer", allow_http=allow_http)


def http_for(handler, **kwargs) -> ProviderHttp:
    return ProviderHttp(transport=httpx.MockTransport(handler), **kwargs)


async def test_answers_are_size_capped_and_must_be_json():
    big = http_for(lambda request: httpx.Response(200, content=b"x" * 2048), max_bytes=1024)
    with pytest.raises(AuthenticationFailed, match="more than 1024 bytes"):
        await big.get("https://idp/jwks", what="the keys")
    html = http_for(lambda request: httpx.Response(200, content=b"<html>"))
    with pytest.raises(AuthenticationFailed, match="did not answer with JSON"):
        await html.get_json("https://idp/jwks", what="the keys")
    moved = http_for(lambda request: httpx.Response(302, headers={"Location": "https://evil/"}))
    with pytest.raises(AuthenticationFailed, match="answered HTTP 302"):  # redirects are not followed
        await moved.get_json("https://idp/jwks", what="the keys")


async def test_a_slow_provider_hits_the_total_deadline():
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, json={})

    with pytest.raises(AuthenticationFailed, match="did not answer within 0.05s"):
        await http_for(slow, timeout_s=0.05).get_json("https://idp/x", what="the discovery document")


async def test_a_transport_failure_names_what_was_fetched():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(AuthenticationFailed, match=r"the keys could not be reached \(ConnectError\)"):
        await http_for(refuse).get("https://idp/jwks", what="the keys")
