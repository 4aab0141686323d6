"""TOTP second factor (RFC 6238) with ``pyotp``; secrets sealed with AES-256-GCM.

The TOTP secret must be readable again to check codes, so it cannot be hashed like a
password; it is encrypted instead (``cryptography``'s AES-GCM, a random 96-bit nonce per
secret) with a key kept outside the database: a file in the data directory (0600) by
default, or one mounted from a secret store (``OBSERVER_IDENTITY_KEY_FILE``). Every API
replica needs the same key. Losing it loses the enrolments, not the accounts: an admin
resets a user's second factor and they enrol again.
"""

from __future__ import annotations

import base64
import hmac
import os
import secrets
from pathlib import Path

import pyotp
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ports.credentials import TotpEnrolment

STEP_S = 30
DRIFT_STEPS = 1  # a code of the previous or next 30 s step is accepted too
_SEALED = "v1."
_AAD = b"observer-eye totp secret"


def load_or_create_key(path: Path) -> bytes:
    """The 32-byte sealing key in ``path`` (base64), created 0600 on first use."""
    try:
        return _decode_key(path.read_text().strip(), path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it meanwhile: use theirs
        return _decode_key(path.read_text().strip(), path)
    with os.fdopen(fd, "w") as f:
        f.write(base64.b64encode(key).decode() + "\n")
    return key


def _decode_key(text: str, path: Path) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ValueError(f"{path} does not hold a base64 32-byte key")
    return key


class TotpAuthenticator:
    """``ports.credentials.SecondFactor``."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the sealing key must be 32 bytes")
        self._aead = AESGCM(key)

    def enrol(self, account: str, issuer: str) -> TotpEnrolment:
        secret = pyotp.random_base32()
        uri = pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)
        return TotpEnrolment(sealed=self._seal(secret), secret=secret, otpauth_uri=uri)

    def verify(self, sealed: str, code: str, now_ms: int, last_step: int | None) -> int | None:
        code = (code or "").strip().replace(" ", "")
        if len(code) != 6 or not code.isdigit():
            return None
        secret = self._unseal(sealed)
        if secret is None:
            return None
        totp = pyotp.TOTP(secret)
        now_step = now_ms // 1000 // STEP_S
        for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
            if (last_step is None or step > last_step) and hmac.compare_digest(totp.at(step * STEP_S), code):
                return step
        return None

    def _seal(self, secret: str) -> str:
        nonce = secrets.token_bytes(12)
        box = self._aead.encrypt(nonce, secret.encode(), _AAD)
        return _SEALED + base64.urlsafe_b64encode(nonce + box).decode()

    def _unseal(self, sealed: str) -> str | None:
        if not sealed.startswith(_SEALED):
            return None
        try:
            raw = base64.urlsafe_b64decode(sealed[len(_SEALED):])
            return self._aead.decrypt(raw[:12], raw[12:], _AAD).decode()
        except (ValueError, InvalidTag):
            return None
