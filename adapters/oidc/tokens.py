"""Verifying signed JWTs with joserfc: signature by the issuer's keys, then claims.

Only asymmetric algorithms are accepted (never ``none``, never HMAC: an HMAC "signed"
with a public key is the classic JWT forgery), and of those only the ones the caller
allows. Claims are checked by a joserfc claims registry (or authlib's ID-token claims
class, built on it) with a bounded leeway for clock skew. Every refusal becomes
``AuthenticationFailed`` with a short reason; the details go to the log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
    UnsupportedAlgorithmError,
)
from joserfc.jwk import KeySet

from adapters.oidc.jwks import JwksCache
from domain.errors import AuthenticationFailed

log = logging.getLogger(__name__)

ASYMMETRIC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
MAX_TOKEN_BYTES = 16 * 1024  # real tokens are 1-4 KiB; refuse before parsing anything bigger
MAX_CLOCK_SKEW_S = 300


def safe_algorithms(offered: Collection[str]) -> tuple[str, ...]:
    """The asymmetric algorithms among ``offered`` (what a provider says it signs with)."""
    return tuple(a for a in ASYMMETRIC_ALGORITHMS if a in offered)


def peek_claims(token: str) -> dict[str, Any] | None:
    """The payload of a compact JWS, read WITHOUT verifying it (routing only); None if
    ``token`` is not one."""
    if len(token) > MAX_TOKEN_BYTES or token.count(".") != 2:
        return None
    try:
        claims = json.loads(jws.extract_compact(token.encode("ascii")).payload)
    except (JoseError, ValueError, UnicodeError):
        return None
    return claims if isinstance(claims, dict) else None


class _NoKnownKey(AuthenticationFailed):
    """No cached key verifies the token: the issuer may have rotated its keys."""


async def verify_signature(token: str, keys: JwksCache, algorithms: Collection[str]) -> jwt.Token:
    """The token's header and claims once its signature checks out against ``keys``.

    A token naming a key id the cache lacks, or naming none and failing against the
    cached keys, may be signed by a key the issuer rotated in: the keys are refetched
    (rate-limited by the cache) and the token tried once more.
    """
    if len(token) > MAX_TOKEN_BYTES:
        raise AuthenticationFailed(f"the token is over {MAX_TOKEN_BYTES} bytes")
    snapshot = await keys.current()
    try:
        return _decode(token, snapshot.keys, algorithms)
    except _NoKnownKey as first:
        newer = await keys.after_unknown_key(snapshot)
        if newer is None:
            raise AuthenticationFailed(first.args[0]) from None
        try:
            return _decode(token, newer.keys, algorithms)
        except _NoKnownKey as second:
            raise AuthenticationFailed(second.args[0]) from None


def _decode(token: str, keys: KeySet, algorithms: Collection[str]) -> jwt.Token:
    try:
        return jwt.decode(token, keys, algorithms=list(algorithms))
    except InvalidKeyIdError:
        raise _NoKnownKey("the token is signed with a key the issuer does not publish") from None
    except BadSignatureError:
        if "kid" not in _header(token):
            raise _NoKnownKey("the token's signature is not valid") from None
        raise AuthenticationFailed("the token's signature is not valid") from None
    except JoseError as exc:
        log.info("refused a token: %s", exc)
        if isinstance(exc, UnsupportedAlgorithmError):
            raise AuthenticationFailed("the token is signed with an algorithm this service does not accept") from None
        raise AuthenticationFailed("the token is malformed") from None
    except (ValueError, UnicodeError):
        raise AuthenticationFailed("the token is malformed") from None


def _header(token: str) -> dict[str, Any]:
    try:
        return jws.extract_compact(token.encode("ascii")).headers()
    except (JoseError, ValueError, UnicodeError):
        return {}


def claim_refusal(exc: ClaimError, *, subject: str = "token") -> AuthenticationFailed:
    """``AuthenticationFailed`` saying which claim check ``exc`` failed."""
    log.info("refused a %s: %s", subject, exc)
    if isinstance(exc, ExpiredTokenError):
        return AuthenticationFailed(f"the {subject} has expired")
    if isinstance(exc, MissingClaimError):
        return AuthenticationFailed(f"the {subject} lacks the claim(s) {exc.claim}")
    reasons = {
        "iss": f"the {subject} comes from another issuer",
        "aud": f"the {subject} is meant for another audience",
        "azp": f"the {subject} was issued to another client (azp)",
        "nbf": f"the {subject} is not valid yet",
        "iat": f"the {subject} was issued in the future",
        "nonce": "the sign-in answer does not belong to this sign-in (nonce)",
        "at_hash": f"the {subject} does not match its access token (at_hash)",
    }
    return AuthenticationFailed(reasons.get(exc.claim, f"the {subject}'s {exc.claim} claim is not valid"))
