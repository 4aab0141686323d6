"""Bearer JWTs from configured issuers (services with client credentials), verified by the
issuer's published keys. The issuer is a real OpenID provider (oidc-provider-mock); its
access tokens are minted with its own signing key, since the mock has no
client-credentials grant."""

from __future__ import annotations

import time

import pytest

from tests.support.clock import FakeClock
from adapters.oidc import JwtIssuerConfig, JwtIssuerVerifier
from domain.errors import AuthenticationFailed
from tests.support.oidc_provider import OidcProviderMock

pytestmark = pytest.mark.integration

AUDIENCE = "observer-eye-api"


@pytest.fixture
def idp():
    with OidcProviderMock() as provider:
        yield provider


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(time.time_ns() // 1_000_000)


def verifier(idp: OidcProviderMock, clock: FakeClock, **overrides) -> JwtIssuerVerifier:
    config = {"id": "ci", "issuer": idp.issuer, "audience": AUDIENCE, "groups_claim": "roles", **overrides}
    return JwtIssuerVerifier(JwtIssuerConfig(**config), clock)


async def test_a_client_credentials_token_is_verified_into_an_identity(idp, clock):
    check = verifier(idp, clock)
    token = idp.sign(idp.access_token_claims(AUDIENCE, roles=["observer-ingest", "observer-viewer"]))
    assert check.accepts(token)
    who = await check.verify(token)
    assert (who.provider, who.issuer, who.subject, who.username) == ("ci", idp.issuer, "service-account-ci", "ci")
    assert who.groups == ("observer-ingest", "observer-viewer") and who.email is None
    assert idp.requests["/.well-known/openid-configuration"] == 1 and idp.requests["/jwks"] == 1


async def test_accepts_peeks_at_the_issuer_only(idp, clock):
    check = verifier(idp, clock)
    with OidcProviderMock() as other:
        foreign = other.sign(other.access_token_claims(AUDIENCE))
    assert not check.accepts(foreign)
    for garbage in ("oe_abc_def", "", "a.b.c", "x" * 20_000, "e30.e30.", "....", "bm90IGpzb24.bm90IGpzb24.sig"):
        assert not check.accepts(garbage)
    assert idp.requests["/jwks"] == 0 and idp.requests["/.well-known/openid-configuration"] == 0  # nothing fetched


async def test_a_token_from_another_issuer_claiming_this_one_is_refused(idp, clock):
    with OidcProviderMock() as other:
        forged = other.sign(idp.access_token_claims(AUDIENCE))  # iss says idp, signed by other's key
    with pytest.raises(AuthenticationFailed, match="does not publish"):
        await verifier(idp, clock).verify(forged)


@pytest.mark.parametrize("claims, reason", [
    (lambda now: {"aud": "another-api"}, "another audience"),
    (lambda now: {"aud": None}, "aud"),
    (lambda now: {"exp": None}, "exp"),
    (lambda now: {"sub": None}, "sub"),
    (lambda now: {"exp": now - 600}, "expired"),
    (lambda now: {"nbf": now + 600}, "not valid yet"),
    (lambda now: {"iat": now + 600}, "issued in the future"),
])
async def test_a_token_failing_a_claim_check_is_refused(idp, clock, claims, reason):
    # times relative to when the test runs, not to when it was collected
    changed = claims(int(time.time()))
    token_claims = {k: v for k, v in {**idp.access_token_claims(AUDIENCE), **changed}.items() if v is not None}
    with pytest.raises(AuthenticationFailed, match=reason):
        await verifier(idp, clock).verify(idp.sign(token_claims))


async def test_an_audience_list_naming_this_api_is_accepted(idp, clock):
    token = idp.sign(idp.access_token_claims(["account", AUDIENCE]))
    assert (await verifier(idp, clock).verify(token)).subject == "service-account-ci"


async def test_skew_is_bounded(idp, clock):
    now = int(time.time())
    clock.set(now * 1000)
    token = idp.sign(idp.access_token_claims(AUDIENCE, iat=now - 600, exp=now - 45))
    assert (await verifier(idp, clock, clock_skew_s=60).verify(token)).subject == "service-account-ci"
    with pytest.raises(AuthenticationFailed, match="expired"):
        await verifier(idp, clock, clock_skew_s=30).verify(token)


async def test_a_tampered_token_is_refused(idp, clock):
    header, payload, signature = idp.sign(idp.access_token_claims(AUDIENCE)).split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    with pytest.raises(AuthenticationFailed, match="signature"):
        await verifier(idp, clock).verify(f"{header}.{payload}.{flipped}")
    other_payload = idp.sign(idp.access_token_claims(AUDIENCE, sub="admin")).split(".")[1]
    with pytest.raises(AuthenticationFailed, match="signature"):
        await verifier(idp, clock).verify(f"{header}.{other_payload}.{signature}")


async def test_an_id_token_type_is_not_an_access_token(idp, clock):
    token = idp.sign(idp.access_token_claims(AUDIENCE), header={"typ": "id_token+jwt"})
    with pytest.raises(AuthenticationFailed, match="not an access token"):
        await verifier(idp, clock).verify(token)
    at_jwt = idp.sign(idp.access_token_claims(AUDIENCE), header={"typ": "at+jwt"})
    assert (await verifier(idp, clock).verify(at_jwt)).subject == "service-account-ci"


async def test_key_rotation_refetches_the_key_set_at_most_once_a_minute(idp, clock):
    check = verifier(idp, clock)
    old = idp.sign(idp.access_token_claims(AUDIENCE))
    await check.verify(old)
    idp.rotate_key()
    new = idp.sign(idp.access_token_claims(AUDIENCE))

    for _ in range(3):  # an unknown key id within a minute of the last fetch: refused, nothing fetched
        with pytest.raises(AuthenticationFailed, match="does not publish"):
            await check.verify(new)
    assert idp.requests["/jwks"] == 1

    clock.advance(60_000)
    assert (await check.verify(new)).subject == "service-account-ci"
    assert idp.requests["/jwks"] == 2
    with pytest.raises(AuthenticationFailed, match="does not publish"):  # the old key is gone from the set
        await check.verify(old)
    assert idp.requests["/jwks"] == 2


async def test_the_key_set_is_refreshed_after_its_max_age_and_kept_if_the_issuer_is_down(clock):
    idp = OidcProviderMock().start()
    try:
        check = verifier(idp, clock, jwks_uri=f"{idp.issuer}/jwks")
        token = idp.sign(idp.access_token_claims(AUDIENCE, lifetime_s=3 * 3600))
        await check.verify(token)
        clock.advance(3601_000)
        await check.verify(token)
        assert idp.requests["/jwks"] == 2 and idp.requests["/.well-known/openid-configuration"] == 0
    finally:
        idp.stop()
    clock.advance(3601_000)
    assert (await check.verify(token)).subject == "service-account-ci"  # the issuer is gone; its keys are kept


def test_the_configuration_is_checked(idp, clock):
    with pytest.raises(ValueError, match="audience"):
        verifier(idp, clock, audience="")
    with pytest.raises(ValueError, match="algorithms"):
        verifier(idp, clock, algorithms=("RS256", "HS256"))
    assert verifier(idp, clock, algorithms=("ES256", "RS256")).config.algorithms == ("ES256", "RS256")
