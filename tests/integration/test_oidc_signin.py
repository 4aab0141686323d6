"""OpenID Connect sign-in against a real OpenID provider (oidc-provider-mock, authlib's
authorization server), driven with an HTTP client: start -> the provider's authorization
endpoint -> its form -> the callback's parameters -> finish -> ExternalIdentity."""

from __future__ import annotations

import base64
import hashlib
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.clock import FakeClock
from adapters.oidc import OidcConfig, OidcProvider
from domain.errors import AuthenticationFailed
from tests.support.oidc_provider import OidcProviderMock

pytestmark = pytest.mark.integration

REDIRECT = "http://127.0.0.1:8400/api/v1/auth/oidc/kc/callback"
ALICE = {
    "email": "alice@example.com", "email_verified": True, "name": "Alice Example", "preferred_username": "alice",
    "groups": ["observer-admins", "staff"], "amr": ["pwd", "otp"],
    "realm_access": {"roles": ["offline_access", "oncall"]},
}


@pytest.fixture
def idp():
    with OidcProviderMock({"alice": ALICE}) as provider:
        yield provider


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(time.time_ns() // 1_000_000)


def oidc(idp: OidcProviderMock, clock: FakeClock, **overrides) -> OidcProvider:
    config = {"id": "kc", "name": "Keycloak", "issuer": idp.issuer, "client_id": "observer-eye",
              "client_secret": "s3cret", **overrides}
    return OidcProvider(OidcConfig(**config), clock)


async def sign_in(idp: OidcProviderMock, provider: OidcProvider, sub: str = "alice"):
    start = await provider.start(REDIRECT)
    with httpx.Client() as browser:
        callback = idp.authorize(browser, start.redirect_url, sub)
    return start, callback


async def signed_in(idp: OidcProviderMock, provider: OidcProvider, sub: str = "alice"):
    start, callback = await sign_in(idp, provider, sub)
    return await provider.finish(start.flow, callback)


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


async def test_the_code_flow_signs_in_with_the_claims_the_provider_holds(idp, clock):
    provider = oidc(idp, clock)
    start, callback = await sign_in(idp, provider)
    who = await provider.finish(start.flow, callback)

    assert (who.provider, who.issuer, who.subject) == ("kc", idp.issuer, "alice")
    assert (who.email, who.email_verified, who.name, who.username) == ("alice@example.com", True, "Alice Example", "alice")
    assert who.groups == ("observer-admins", "staff")
    assert who.amr == ("pwd", "otp") and who.multi_factor

    sent = parse_qs(urlsplit(start.redirect_url).query)
    assert sent["response_type"] == ["code"] and sent["client_id"] == ["observer-eye"]
    assert sent["redirect_uri"] == [REDIRECT] and sent["scope"] == ["openid email profile"]
    assert sent["state"] == [start.state] and sent["nonce"] == [start.flow["nonce"]]
    assert sent["code_challenge_method"] == ["S256"]
    (exchange,) = idp.token_requests
    assert sent["code_challenge"] == [s256(exchange["code_verifier"])]  # the verifier matches the challenge
    assert exchange["redirect_uri"] == REDIRECT and exchange["code"] == callback["code"]
    assert exchange["authorization"] == "Basic " + base64.b64encode(b"observer-eye:s3cret").decode()
    assert "client_secret" not in exchange
    assert "s3cret" not in repr(provider.config)


async def test_the_client_secret_is_form_urlencoded_in_basic_authentication(idp, clock):
    provider = oidc(idp, clock, client_secret="p+s/w=rd:1")
    await signed_in(idp, provider)
    (exchange,) = idp.token_requests
    assert exchange["authorization"] == "Basic " + base64.b64encode(b"observer-eye:p%2Bs%2Fw%3Drd%3A1").decode()


async def test_groups_from_a_nested_claim_path(idp, clock):
    provider = oidc(idp, clock, groups_claim="realm_access.roles")
    who = await signed_in(idp, provider)
    assert who.groups == ("offline_access", "oncall")


async def test_a_callback_of_another_sign_in_is_refused(idp, clock):
    provider = oidc(idp, clock)
    start, callback = await sign_in(idp, provider)
    other = await provider.start(REDIRECT)
    with pytest.raises(AuthenticationFailed, match="state"):
        await provider.finish(other.flow, callback)
    with pytest.raises(AuthenticationFailed, match="iss"):
        await provider.finish(start.flow, {**callback, "iss": "https://evil.example"})
    with pytest.raises(AuthenticationFailed, match="nonce"):
        await provider.finish({**start.flow, "nonce": "another"}, callback)
    with pytest.raises(AuthenticationFailed, match="expired or was already used"):
        await provider.finish({"state": start.state}, callback)


async def test_a_code_is_exchanged_once(idp, clock):
    provider = oidc(idp, clock)
    start, callback = await sign_in(idp, provider)
    await provider.finish(start.flow, callback)
    with pytest.raises(AuthenticationFailed, match=r"refused the sign-in code \(invalid_grant\)"):
        await provider.finish(start.flow, callback)


async def test_a_refusal_at_the_provider_is_reported_without_its_free_text(idp, clock):
    provider = oidc(idp, clock)
    start = await provider.start(REDIRECT)
    with httpx.Client() as browser:
        callback = idp.deny(browser, start.redirect_url)
    with pytest.raises(AuthenticationFailed, match=r"did not sign you in \(access_denied\)"):
        await provider.finish(start.flow, callback)
    with pytest.raises(AuthenticationFailed, match=r"\(unknown error\)"):
        await provider.finish(start.flow, {"error": "<script>alert(1)</script>", "state": start.state})


async def test_discovery_and_keys_are_fetched_once_for_many_sign_ins(idp, clock):
    provider = oidc(idp, clock)
    for _ in range(3):
        await signed_in(idp, provider)
    assert idp.requests["/.well-known/openid-configuration"] == 1 and idp.requests["/jwks"] == 1


async def test_a_rotated_signing_key_is_fetched_at_most_once_a_minute(idp, clock):
    provider = oidc(idp, clock)
    await signed_in(idp, provider)
    idp.rotate_key()
    with pytest.raises(AuthenticationFailed, match="signature"):
        await signed_in(idp, provider)
    assert idp.requests["/jwks"] == 1  # refetched just now: a token with an unknown key waits

    clock.advance(61_000)
    who = await signed_in(idp, provider)
    assert who.subject == "alice" and idp.requests["/jwks"] == 2


async def test_the_issuer_must_match_the_discovery_document_exactly(idp, clock):
    provider = oidc(idp, clock, issuer=idp.issuer + "/")
    with pytest.raises(AuthenticationFailed, match="names another issuer"):
        await provider.start(REDIRECT)


def test_the_issuer_must_be_https_beyond_loopback(clock):
    with pytest.raises(ValueError, match="the issuer must be an https:// URL"):
        OidcProvider(OidcConfig(id="kc", name="Keycloak", issuer="http://sso.example.com/realms/ops", client_id="x"), clock)


async def test_configured_endpoints_skip_discovery(idp, clock):
    endpoints = {"authorization_endpoint": f"{idp.issuer}/oauth2/authorize",
                 "token_endpoint": f"{idp.issuer}/oauth2/token", "jwks_uri": f"{idp.issuer}/jwks"}
    provider = oidc(idp, clock, endpoints=endpoints, token_auth_method="client_secret_post")
    who = await signed_in(idp, provider)
    assert who.subject == "alice" and idp.requests["/.well-known/openid-configuration"] == 0
    (exchange,) = idp.token_requests
    assert (exchange["client_id"], exchange["client_secret"], exchange["authorization"]) == ("observer-eye", "s3cret", "")


@pytest.mark.parametrize("userinfo, groups_claim, fetched", [
    ("auto", "groups", 0), ("auto", "roles", 1), ("always", "groups", 1), ("never", "roles", 0),
])
async def test_userinfo_is_read_when_the_id_token_lacks_the_groups(idp, clock, userinfo, groups_claim, fetched):
    provider = oidc(idp, clock, userinfo=userinfo, groups_claim=groups_claim)
    who = await signed_in(idp, provider)
    assert who.email == "alice@example.com" and idp.requests["/userinfo"] == fetched


async def test_an_unreachable_provider_is_refused_with_a_clear_reason(clock):
    with OidcProviderMock() as gone:
        issuer = gone.issuer
    provider = OidcProvider(OidcConfig(id="kc", name="Keycloak", issuer=issuer, client_id="x", timeout_s=2), clock)
    with pytest.raises(AuthenticationFailed, match="could not be reached"):
        await provider.start(REDIRECT)


# --- the ID token's checks, on tokens signed with the issuer's own key -------------------


def id_token_claims(idp: OidcProviderMock, **claims) -> dict:
    now = int(time.time())
    return {"iss": idp.issuer, "sub": "alice", "aud": "observer-eye", "iat": now, "exp": now + 300,
            "nonce": "n-1", **claims}


async def test_a_valid_id_token_passes(idp, clock):
    claims = await oidc(idp, clock).verify_id_token(idp.sign(id_token_claims(idp)), nonce="n-1")
    assert claims["sub"] == "alice"


@pytest.mark.parametrize("claims, reason", [
    (lambda now: {"aud": "another-client"}, "another audience"),
    (lambda now: {"aud": ["observer-eye", "another-client"]}, "azp"),
    (lambda now: {"aud": ["observer-eye", "another-client"], "azp": "another-client"}, "azp"),
    (lambda now: {"iss": "https://evil.example"}, "another issuer"),
    (lambda now: {"exp": now - 120}, "expired"),
    (lambda now: {"iat": now + 120}, "issued in the future"),
    (lambda now: {"nbf": now + 120}, "not valid yet"),
    (lambda now: {"nonce": "replayed"}, "nonce"),
    (lambda now: {"sub": None}, "sub"),
])
async def test_an_id_token_failing_a_claim_check_is_refused(idp, clock, claims, reason):
    # times relative to when the test runs, not to when it was collected
    token = idp.sign({k: v for k, v in id_token_claims(idp, **claims(int(time.time()))).items() if v is not None})
    with pytest.raises(AuthenticationFailed, match=reason):
        await oidc(idp, clock).verify_id_token(token, nonce="n-1")


async def test_clock_skew_is_tolerated_up_to_the_configured_bound(idp, clock):
    now = int(time.time())
    clock.set(now * 1000)
    token = idp.sign(id_token_claims(idp, iat=now - 400, exp=now - 30))  # expired 30 s ago
    assert (await oidc(idp, clock, clock_skew_s=60).verify_id_token(token, nonce="n-1"))["sub"] == "alice"
    with pytest.raises(AuthenticationFailed, match="expired"):
        await oidc(idp, clock, clock_skew_s=10).verify_id_token(token, nonce="n-1")
    with pytest.raises(ValueError, match="clock_skew_s"):
        oidc(idp, clock, clock_skew_s=3600)


async def test_a_tampered_or_foreign_signature_is_refused(idp, clock):
    provider = oidc(idp, clock)
    header, payload, signature = idp.sign(id_token_claims(idp)).split(".")
    forged = base64.urlsafe_b64encode(b'{"iss":"%s","sub":"mallory","aud":"observer-eye","iat":%d,"exp":%d,"nonce":"n-1"}'
                                      % (idp.issuer.encode(), time.time(), time.time() + 300)).rstrip(b"=").decode()
    with pytest.raises(AuthenticationFailed, match="signature"):
        await provider.verify_id_token(f"{header}.{forged}.{signature}", nonce="n-1")

    with OidcProviderMock() as other:  # a key the issuer never published, under the issuer's key id
        foreign = other.sign(id_token_claims(idp), header={"kid": idp.key.kid})
    with pytest.raises(AuthenticationFailed, match="signature"):
        await provider.verify_id_token(foreign, nonce="n-1")


async def test_symmetric_and_unsigned_tokens_are_refused(idp, clock):
    from joserfc import jwt
    from joserfc.jwk import OctKey

    provider = oidc(idp, clock)
    # HMAC keyed with the issuer's public key material: the algorithm-confusion forgery.
    public = OctKey.import_key(idp.key.as_dict(private=False)["n"].encode())
    hs256 = jwt.encode({"alg": "HS256", "kid": idp.key.kid}, id_token_claims(idp), public, algorithms=["HS256"])
    with pytest.raises(AuthenticationFailed, match="algorithm"):
        await provider.verify_id_token(hs256, nonce="n-1")
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    payload = hs256.split(".")[1]
    with pytest.raises(AuthenticationFailed, match="algorithm|malformed"):
        await provider.verify_id_token(f"{header}.{payload}.", nonce="n-1")
