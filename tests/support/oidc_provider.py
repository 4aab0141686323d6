"""A real OpenID provider for the tests: PyPI's ``oidc-provider-mock`` (authlib's
authorization server on Flask), served on a free port of 127.0.0.1 from a thread.

Besides the provider's own endpoints the tests get at its innards through Flask:
``storage`` holds its signing key, so ``rotate_key`` swaps it (a key rotation) and
``sign`` mints tokens with the issuer's real key (a service's client-credentials access
token; the mock has no client-credentials grant); ``requests`` counts the requests per
path (how often the key set was fetched) and ``token_requests`` keeps what clients sent
to the token endpoint (the PKCE verifier, the client authentication).

``authorize`` plays the browser at the authorization endpoint: it loads the form, then
submits it as the chosen user, and returns the query parameters of the redirect to the
client's callback, without following it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import flask
import httpx
import oidc_provider_mock
from authlib import jose as authlib_jose  # the mock keeps its key as an authlib.jose key
from joserfc import jwt
from joserfc.jwk import RSAKey, import_key

from tests.support.wsgi import serve_wsgi


class OidcProviderMock:
    """The provider with ``users`` (subject -> claims) ready to sign in; nonces required."""

    def __init__(self, users: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.app = oidc_provider_mock.app(
            require_nonce=True,
            user_claims=[oidc_provider_mock.User(sub=sub, claims=dict(claims)) for sub, claims in (users or {}).items()],
        )
        self.requests: Counter[str] = Counter()
        self.token_requests: list[dict[str, str]] = []  # form fields and Authorization header of each
        self.app.after_request(self._count)
        self.app.before_request(self._record_token_request)
        with self.app.test_request_context():
            self.app.preprocess_request()  # runs the mock's hook that exposes its storage on flask.g
            self.storage = flask.g.oidc_provider_mock_storage
        self._serving: AbstractContextManager[str] | None = None
        self.issuer = ""

    def _count(self, response: flask.Response) -> flask.Response:
        self.requests[flask.request.path] += 1
        return response

    def _record_token_request(self) -> None:
        if flask.request.path == "/oauth2/token":
            self.token_requests.append({**flask.request.form.to_dict(),
                                        "authorization": flask.request.headers.get("Authorization", "")})

    def start(self) -> "OidcProviderMock":
        self._serving = serve_wsgi(self.app)
        self.issuer = self._serving.__enter__()
        return self

    def stop(self) -> None:
        if self._serving is not None:
            self._serving.__exit__(None, None, None)
            self._serving = None

    def __enter__(self) -> "OidcProviderMock":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- keys and tokens -------------------------------------------------------------

    @property
    def key(self) -> RSAKey:
        """The issuer's current signing key (private), as a joserfc key."""
        return import_key(self.storage.jwk.as_dict(is_private=True))

    def rotate_key(self) -> None:
        """Sign with a new key from now on; the key set publishes only the new key."""
        self.storage.jwk = authlib_jose.RSAKey.generate_key(is_private=True)

    def sign(self, claims: Mapping[str, Any], *, key: RSAKey | None = None, header: Mapping[str, Any] | None = None) -> str:
        """A JWT with ``claims`` signed RS256 by ``key`` (default: the issuer's current key)."""
        key = key or self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid, **(header or {})}, dict(claims), key, algorithms=["RS256"])

    def access_token_claims(self, audience: str, *, lifetime_s: int = 300, **claims: Any) -> dict[str, Any]:
        """What a client-credentials access token from this issuer carries."""
        now = int(time.time())
        return {"iss": self.issuer, "sub": "service-account-ci", "aud": audience, "iat": now, "nbf": now,
                "exp": now + lifetime_s, "azp": "ci", "client_id": "ci", "scope": "observer", **claims}

    # --- the browser's part ----------------------------------------------------------

    def authorize(self, client: httpx.Client, authorization_url: str, sub: str) -> dict[str, str]:
        """Sign in as ``sub`` at the authorization endpoint; the callback's query parameters."""
        form = client.get(authorization_url)
        assert form.status_code == 200, form.text[:500]
        answer = client.post(authorization_url, data={"sub": sub})
        assert answer.status_code == 302, answer.text[:500]
        return dict(parse_qsl(urlsplit(answer.headers["location"]).query))

    def deny(self, client: httpx.Client, authorization_url: str) -> dict[str, str]:
        answer = client.post(authorization_url, data={"action": "deny"})
        assert answer.status_code == 302, answer.text[:500]
        return dict(parse_qsl(urlsplit(answer.headers["location"]).query))

