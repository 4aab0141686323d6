"""A real password hasher without a framework: scrypt from the standard library.

Used with the in-memory repositories (tests, the demo without Django); the Django
adapter hashes with Django's own hashers instead. scrypt is memory-hard: the default
cost (n=2**14, r=8, 16 MiB per hash, tens of milliseconds) is OWASP's minimum
recommendation. The encoded form names its parameters, so raising them later keeps old
hashes verifiable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_SCHEME = "scrypt"


class ScryptPasswordHasher:
    def __init__(self, n: int = 2**14, r: int = 8, p: int = 1) -> None:
        self._n, self._r, self._p = n, r, p

    def hash(self, password: str) -> str:
        salt = secrets.token_bytes(16)
        digest = self._derive(password, salt, self._n, self._r, self._p)
        return "$".join([_SCHEME, str(self._n), str(self._r), str(self._p),
                         base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])

    def verify(self, password: str, encoded: str) -> bool:
        try:
            scheme, n, r, p, salt, digest = encoded.split("$")
            if scheme != _SCHEME:
                return False
            expected = base64.b64decode(digest, validate=True)
            actual = self._derive(password, base64.b64decode(salt, validate=True), int(n), int(r), int(p))
        except (ValueError, TypeError):
            return False
        return hmac.compare_digest(actual, expected)

    @staticmethod
    def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
        return hashlib.scrypt(password.encode("utf-8", "surrogatepass"), salt=salt, n=n, r=r, p=p,
                              maxmem=256 * 1024 * 1024, dklen=32)
