"""Sealing secrets kept in the database (receiver URLs, routing keys, SMTP passwords):
encrypted with a key kept outside it, readable again by the processes that send."""

from __future__ import annotations

from typing import Protocol


class SecretBox(Protocol):
    def seal(self, plaintext: str, purpose: str) -> str:
        """An opaque, authenticated ciphertext of ``plaintext`` bound to ``purpose``
        (a sealed value cannot be moved to another purpose)."""
        ...

    def unseal(self, sealed: str, purpose: str) -> str:
        """The plaintext; ``ValueError`` if ``sealed`` was not made by this key for ``purpose``."""
        ...
