"""``ports.secrets.SecretBox`` with AES-256-GCM (``cryptography``): a random 96-bit nonce
per value, the purpose as associated data. The key is a file outside the database (the
data directory by default, ``OBSERVER_SECRETS_KEY_FILE`` to mount one); every process
that sends notifications needs the same key.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adapters.totp import load_or_create_key

_PREFIX = "v1."


class AesGcmSecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the sealing key must be 32 bytes")
        self._aead = AESGCM(key)

    @classmethod
    def from_key_file(cls, path: Path) -> "AesGcmSecretBox":
        return cls(load_or_create_key(path))

    def seal(self, plaintext: str, purpose: str) -> str:
        nonce = secrets.token_bytes(12)
        box = self._aead.encrypt(nonce, plaintext.encode(), purpose.encode())
        return _PREFIX + base64.urlsafe_b64encode(nonce + box).decode()

    def unseal(self, sealed: str, purpose: str) -> str:
        if not isinstance(sealed, str) or not sealed.startswith(_PREFIX):
            raise ValueError("not a value this secret box sealed")
        try:
            raw = base64.urlsafe_b64decode(sealed[len(_PREFIX):])
            return self._aead.decrypt(raw[:12], raw[12:], purpose.encode()).decode()
        except (binascii.Error, ValueError, InvalidTag):
            raise ValueError("the sealed value does not open with this key (another key file, or tampered)") from None
