"""Contract of ports.auth (TokenIssuer, TokenVerifier), run against every adapter.

To cover a new adapter, append one async context manager factory to TOKEN_SERVICES: it
yields ``TokenCase(issuer, verifier, foreign_issuer, advance)``: tokens from ``issuer``
must verify with ``verifier``; ``foreign_issuer`` is another issuer with other keys;
``advance(seconds)`` moves the time both sides see. Tokens are JWTs (three base64url
segments), which the tampering tests rely on.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adapters.memory.tokens import LocalTokenIssuer
from domain.errors import AuthenticationFailed
from domain.identity.permissions import ApiKeyScope, Role
from domain.identity.principal import Principal
from ports.auth import TokenIssuer, TokenVerifier


@dataclass
class TokenCase:
    issuer: TokenIssuer
    verifier: TokenVerifier
    foreign_issuer: TokenIssuer
    advance: Callable[[float], None]


@asynccontextmanager
async def local_issuer():
    now = [1_700_000_000.0]

    def clock() -> float:
        return now[0]

    def advance(seconds: float) -> None:
        now[0] += seconds

    issuer = LocalTokenIssuer(clock=clock)
    yield TokenCase(issuer, issuer, LocalTokenIssuer(clock=clock), advance)


TOKEN_SERVICES = [pytest.param(local_issuer, id="local")]


@pytest.fixture(params=TOKEN_SERVICES)
async def tokens(request) -> TokenCase:
    async with request.param() as case:
        yield case


ALICE = Principal("acme", "alice@example.com", Role.RESPONDER)
AGENT_KEY = Principal("acme", "api_key:k-1", Role.ADMIN, frozenset({ApiKeyScope.INGEST, ApiKeyScope.READ}))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def segments(token: str) -> list[str]:
    parts = token.split(".")
    assert len(parts) == 3, "tokens are JWTs"
    return parts


@pytest.mark.parametrize("principal", [ALICE, AGENT_KEY, Principal("globex", "bob", Role.VIEWER, frozenset())])
async def test_an_issued_token_verifies_to_the_same_principal(tokens, principal):
    token = await tokens.issuer.issue(principal, ttl_s=300)
    assert await tokens.verifier.verify(token) == principal


async def test_a_token_is_valid_until_it_expires(tokens):
    token = await tokens.issuer.issue(ALICE, ttl_s=60)
    tokens.advance(55)
    assert await tokens.verifier.verify(token) == ALICE
    tokens.advance(10)
    with pytest.raises(AuthenticationFailed):
        await tokens.verifier.verify(token)


async def test_a_token_from_another_issuer_is_refused(tokens):
    token = await tokens.foreign_issuer.issue(ALICE, ttl_s=300)
    with pytest.raises(AuthenticationFailed):
        await tokens.verifier.verify(token)


def _escalate(token: str) -> str:
    header, body, signature = segments(token)
    claims = json.loads(unb64(body))
    claims["role"] = "admin"
    claims["tenant"] = "globex"
    return f"{header}.{b64(json.dumps(claims).encode())}.{signature}"


def _flip_signature(token: str) -> str:
    header, body, signature = segments(token)
    i = len(signature) // 2  # the middle: the last character may only carry padding bits
    return f"{header}.{body}.{signature[:i]}{'A' if signature[i] != 'A' else 'B'}{signature[i + 1:]}"


def _alg_none(token: str) -> str:
    _, body, _ = segments(token)
    return f"{b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{body}."


def _drop_signature(token: str) -> str:
    header, body, _ = segments(token)
    return f"{header}.{body}."


@pytest.mark.parametrize("tamper", [_escalate, _flip_signature, _alg_none, _drop_signature])
async def test_a_tampered_token_is_refused(tokens, tamper):
    token = await tokens.issuer.issue(ALICE, ttl_s=300)
    with pytest.raises(AuthenticationFailed):
        await tokens.verifier.verify(tamper(token))


TENANTS = st.from_regex(r"\A[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?\Z")
SUBJECTS = st.text(min_size=1, max_size=60).filter(str.strip)
SCOPES = st.none() | st.frozensets(st.sampled_from(list(ApiKeyScope)))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tenant=TENANTS, subject=SUBJECTS, role=st.sampled_from(list(Role)), scopes=SCOPES)
async def test_any_principal_round_trips(tokens, tenant, subject, role, scopes):
    principal = Principal(tenant, subject, role, scopes)
    assert await tokens.verifier.verify(await tokens.issuer.issue(principal, ttl_s=60)) == principal


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
SEGMENT = st.one_of(
    st.text(max_size=30),
    st.binary(max_size=30).map(b64),
    JSON.map(lambda v: b64(json.dumps(v).encode())),
    st.just(b64(b'{"alg":"HS256","typ":"JWT"}')),
)
GARBAGE = st.one_of(st.text(), st.lists(SEGMENT, min_size=1, max_size=4).map(".".join))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=GARBAGE)
@example(token="")
@example(token="..")
@example(token=f"{b64(b'1')}.e30.x")  # a header that is JSON but not an object
@example(token=f"{b64(b'null')}.e30.x")
@example(token=f"{b64(b'[]')}.e30.x")
@example(token=f"{b64(b'[' * 5000)}.e30.x")  # nesting deeper than the recursion limit
async def test_garbage_raises_authentication_failed_and_nothing_else(tokens, token):
    with pytest.raises(AuthenticationFailed):
        await tokens.verifier.verify(token)
