"""The parts of an authorization code flow every provider shares: fresh secrets for
``start``, and the checks ``finish`` makes on the flow kept and the callback received."""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc7636 import create_s256_code_challenge

from domain.errors import AuthenticationFailed

_ERROR_CODE = re.compile(r"^[a-z_]{1,64}$")


@dataclass(frozen=True, slots=True)
class FlowSecrets:
    """``state`` ties the callback to the flow, ``nonce`` the ID token to it, and the PKCE
    verifier (RFC 7636; its S256 ``code_challenge`` goes to the provider) the code."""

    state: str
    nonce: str
    code_verifier: str

    @property
    def code_challenge(self) -> str:
        return create_s256_code_challenge(self.code_verifier)


def new_flow_secrets() -> FlowSecrets:
    # 256 bits each; the verifier is 64 characters of [A-Za-z0-9_-] (RFC 7636 allows 43-128).
    return FlowSecrets(secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48))


def require_flow(flow: Mapping[str, Any], keys: tuple[str, ...]) -> None:
    """``flow`` is what ``start`` returned (the caller kept it under ``state``)."""
    if not all(isinstance(flow.get(k), str) for k in keys):
        raise AuthenticationFailed("this sign-in has expired or was already used; start again")


def check_callback(name: str, flow: Mapping[str, Any], callback: Mapping[str, str], *, issuer: str | None,
                   iss_required: bool = False) -> None:
    """The callback belongs to this flow (``state``; ``iss`` per RFC 9207) and carries a code."""
    if "error" in callback:
        raise AuthenticationFailed(f"{name} did not sign you in ({error_code(callback.get('error'))})")
    expected = flow.get("state")
    if not isinstance(expected, str) or not hmac.compare_digest(str(callback.get("state", "")), expected):
        raise AuthenticationFailed("the sign-in answer does not belong to this sign-in (state); start again")
    if issuer is not None:
        iss = callback.get("iss")
        if (iss is not None and iss != issuer) or (iss is None and iss_required):
            raise AuthenticationFailed(f"the sign-in answer does not come from {name} (iss)")
    if not callback.get("code"):
        raise AuthenticationFailed(f"{name} sent no sign-in code")


def error_code(value: object) -> str:
    """An OAuth error code, if it looks like one; the provider's free text is not echoed."""
    return value if isinstance(value, str) and _ERROR_CODE.match(value) else "unknown error"
