"""Password hashing and the TOTP second factor: what the identity services need from a
cryptography library, kept behind small protocols so the domain stays pure.

Both are CPU-bound by design (a password hash takes tens to hundreds of milliseconds):
the services call them off the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str:
        """A salted, slow, self-describing hash (algorithm and parameters included)."""
        ...

    def verify(self, password: str, encoded: str) -> bool:
        """True iff ``password`` is the one ``encoded`` was made from (constant time)."""
        ...


@dataclass(frozen=True, slots=True)
class TotpEnrolment:
    """A new TOTP secret: ``sealed`` is what the user record keeps (encrypted at rest);
    ``secret`` (base32) and ``otpauth_uri`` are shown to the user once, to set up their
    authenticator app."""

    sealed: str = field(repr=False)
    secret: str = field(repr=False)
    otpauth_uri: str = field(repr=False)


class SecondFactor(Protocol):
    def enrol(self, account: str, issuer: str) -> TotpEnrolment:
        """A new random secret, sealed, with the ``otpauth://`` URI naming ``account``."""
        ...

    def verify(self, sealed: str, code: str, now_ms: int, last_step: int | None) -> int | None:
        """The time step of ``code`` if it is valid at ``now_ms`` (one step of clock drift
        either way) and later than ``last_step`` (a code is accepted once); else None."""
        ...
