"""API keys: machine credentials (agents pushing telemetry, scripts reading the API).

A key reads ``oe_<prefix>_<secret>``: ``oe_`` makes leaked keys easy to spot (secret
scanners, log scrubbers), ``<prefix>`` (12 hex digits, 48 random bits) is the public
lookup id stored in clear and shown in the UI, ``<secret>`` (64 hex digits, 256 random
bits from ``secrets``) is shown once at creation and only its SHA-256 is stored.

Why a fast hash is enough here: slow password hashes (bcrypt, scrypt, argon2) exist to
make guessing *low-entropy* human passwords expensive. A 256-bit random secret has no
dictionary to try; even at 10^12 SHA-256 per second an exhaustive search takes ~10^57
years. A fast hash keeps authenticating every ingest request cheap, and the stored hash
is still useless to whoever reads the database. Comparisons use
``hmac.compare_digest`` so timing does not reveal how much of a guess matched.

Hex everywhere keeps a key one "word": double-click selects all of it, and it survives
URLs, headers and shell quoting unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from domain.errors import ValidationError
from domain.identity.permissions import PERMISSIONS, ApiKeyScope, Permission, Role, scope_permissions
from domain.identity.principal import Principal
from domain.identity.tenants import check_ms as _check_ms
from domain.identity.tenants import validate_name, validate_tenant_id

KEY_PREFIX = "oe"
PREFIX_HEX_CHARS = 12
SECRET_BYTES = 32
MAX_KEY_ID_LENGTH = 128
MAX_KEY_NAME_LENGTH = 100

_PREFIX_RE = re.compile(rf"^[0-9a-f]{{{PREFIX_HEX_CHARS}}}$")
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")
_KEY_RE = re.compile(rf"^{KEY_PREFIX}_([0-9a-f]{{{PREFIX_HEX_CHARS}}})_([0-9a-f]{{{SECRET_BYTES * 2}}})$")


def hash_secret(secret: str) -> str:
    """Hex SHA-256 of the secret part, as stored at rest."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def parse_api_key(plaintext: object) -> tuple[str, str]:
    """Split ``oe_<prefix>_<secret>`` into ``(prefix, secret)``.

    Surrounding whitespace (a key pasted from a file with its newline) is ignored;
    anything else malformed raises ``ValidationError``, never another exception, and the
    message never echoes the input (it may be a real key with a typo).
    """
    if not isinstance(plaintext, str):
        raise ValidationError("API key must be a string", field="api_key")
    match = _KEY_RE.fullmatch(plaintext.strip())
    if match is None:
        raise ValidationError(
            f"malformed API key: expected {KEY_PREFIX}_<{PREFIX_HEX_CHARS} hex digits>_<{SECRET_BYTES * 2} hex digits>",
            field="api_key",
        )
    return match.group(1), match.group(2)


DAY_MS = 86_400_000
DEFAULT_LIFETIME_DAYS = 90
MAX_LIFETIME_DAYS = 3650


def key_expiry(now_ms: int, expires_in_days: int | None = None, *, never_expires: bool = False) -> int | None:
    """When a new key expires: ``expires_in_days`` from now (default 90), or never, but
    only when asked explicitly (``never_expires``; compliance control OE-IAM-03 counts
    such keys)."""
    if never_expires:
        if expires_in_days is not None:
            raise ValidationError("a key cannot both expire and never expire", field="expires_in_days")
        return None
    days = DEFAULT_LIFETIME_DAYS if expires_in_days is None else expires_in_days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_LIFETIME_DAYS:
        raise ValidationError(f"expires_in_days must be a whole number from 1 to {MAX_LIFETIME_DAYS}",
                              field="expires_in_days")
    return now_ms + days * DAY_MS


def _parse_scopes(scopes: object) -> frozenset[ApiKeyScope]:
    if isinstance(scopes, str) or not isinstance(scopes, Iterable):
        raise ValidationError("scopes must be a collection of scope names", field="scopes")
    parsed = frozenset(ApiKeyScope.parse(s) for s in scopes)
    if not parsed:
        raise ValidationError("an API key needs at least one scope", field="scopes")
    return parsed


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored API key. Immutable: ``revoke`` returns the revoked copy to save.

    ``owner`` is the user responsible for the key (deactivating them revokes it), or
    None for a service key of the tenant itself (the embedded host agent's).
    """

    id: str
    tenant: str
    name: str
    prefix: str
    secret_hash: str = field(repr=False)  # not a secret, but no reason to log it
    scopes: frozenset[ApiKeyScope]
    created_at_ms: int
    expires_at_ms: int | None = None
    revoked_at_ms: int | None = None
    owner: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip() or len(self.id) > MAX_KEY_ID_LENGTH:
            raise ValidationError(f"API key id must be 1-{MAX_KEY_ID_LENGTH} characters", field="id")
        validate_tenant_id(self.tenant)
        object.__setattr__(self, "name", validate_name(self.name, max_length=MAX_KEY_NAME_LENGTH))
        if not isinstance(self.prefix, str) or not _PREFIX_RE.fullmatch(self.prefix):
            raise ValidationError(f"prefix must be {PREFIX_HEX_CHARS} lower-case hex digits", field="prefix")
        if not isinstance(self.secret_hash, str) or not _HASH_RE.fullmatch(self.secret_hash):
            raise ValidationError("secret_hash must be a hex SHA-256 digest", field="secret_hash")
        object.__setattr__(self, "scopes", _parse_scopes(self.scopes))
        _check_ms(self.created_at_ms, "created_at_ms")
        if self.expires_at_ms is not None:
            _check_ms(self.expires_at_ms, "expires_at_ms")
            if self.expires_at_ms <= self.created_at_ms:
                raise ValidationError("expires_at_ms must be after created_at_ms", field="expires_at_ms")
        if self.revoked_at_ms is not None:
            _check_ms(self.revoked_at_ms, "revoked_at_ms")
        if self.owner is not None and (not isinstance(self.owner, str) or not self.owner.strip()
                                       or len(self.owner) > MAX_KEY_ID_LENGTH):
            raise ValidationError(f"owner must be a user id of 1-{MAX_KEY_ID_LENGTH} characters", field="owner")

    @property
    def permissions(self) -> frozenset[Permission]:
        """What the key may do: the union of its scopes' permissions."""
        return scope_permissions(self.scopes)

    @property
    def masked(self) -> str:
        """How the key is shown after creation: the lookup prefix, never the secret."""
        return f"{KEY_PREFIX}_{self.prefix}_…"

    @property
    def revoked(self) -> bool:
        return self.revoked_at_ms is not None

    def expired(self, now_ms: int) -> bool:
        return self.expires_at_ms is not None and now_ms >= self.expires_at_ms

    def is_active(self, now_ms: int) -> bool:
        """Usable at ``now_ms``: not revoked (whenever that was) and not expired."""
        return not self.revoked and not self.expired(now_ms)

    def verify(self, plaintext: object, now_ms: int) -> bool:
        """True iff ``plaintext`` is this key's secret and the key is active at ``now_ms``."""
        try:
            prefix, secret = parse_api_key(plaintext)
        except ValidationError:
            return False
        same_prefix = hmac.compare_digest(prefix, self.prefix)
        same_secret = hmac.compare_digest(hash_secret(secret), self.secret_hash)
        return same_prefix and same_secret and self.is_active(now_ms)

    def revoke(self, now_ms: int) -> "ApiKey":
        """The revoked key. Idempotent: revoking again keeps the first revocation time."""
        _check_ms(now_ms, "revoked_at_ms")
        if self.revoked:
            return self
        return replace(self, revoked_at_ms=now_ms)

    def principal(self) -> Principal:
        """The principal this key authenticates as.

        The role is admin because only admins mint keys (``api_keys:manage``); the scopes
        then cap it, so an ``ingest`` key can ingest and nothing else. What keeps a key
        within its owner's standing is its lifecycle: deactivating the owner, or taking
        a role away that the key's scopes need, revokes it.
        """
        return Principal(tenant=self.tenant, subject=f"api_key:{self.id}", role=Role.ADMIN, scopes=self.scopes,
                         username=self.name, auth="api_key")

    def exceeds(self, role: Role) -> bool:
        """The key's scopes allow something ``role`` may not do."""
        return not self.permissions <= PERMISSIONS[role]

    def rotate(self, now_ms: int, new_id: str, *, grace_ms: int = 0) -> tuple["ApiKey", "ApiKey", str]:
        """Replace this key: ``(old key to save, new key to add, new plaintext)``.

        The new key keeps the name, scopes and owner, and the old key's lifetime (a
        never-expiring key stays so). The old one is revoked now, or with ``grace_ms``
        keeps working that long (deploying the new key everywhere takes a moment).
        """
        _check_ms(now_ms, "now_ms")
        _check_ms(grace_ms, "grace_ms")
        if not self.is_active(now_ms):
            raise ValidationError("only an active key can be rotated; create a new one", field="key")
        lifetime = None if self.expires_at_ms is None else self.expires_at_ms - self.created_at_ms
        new, plaintext = generate_api_key(
            self.tenant, self.name, self.scopes, now_ms, new_id,
            expires_at_ms=None if lifetime is None else now_ms + lifetime, owner=self.owner,
        )
        if grace_ms:
            until = now_ms + grace_ms
            old = self if self.expires_at_ms is not None and self.expires_at_ms <= until else replace(
                self, expires_at_ms=max(until, self.created_at_ms + 1))
        else:
            old = self.revoke(now_ms)
        return old, new, plaintext


def generate_api_key(
    tenant: str,
    name: str,
    scopes: Iterable[ApiKeyScope | str],
    now_ms: int,
    id: str,
    *,
    expires_at_ms: int | None = None,
    owner: str | None = None,
) -> tuple[ApiKey, str]:
    """Mint a key: returns the record to store and the plaintext to show the user once.

    The prefix is random (48 bits), so collisions are rare but possible across many
    keys; the repository enforces its uniqueness and the caller mints again on conflict.
    """
    prefix = secrets.token_hex(PREFIX_HEX_CHARS // 2)
    secret = secrets.token_hex(SECRET_BYTES)
    key = ApiKey(
        id=id,
        tenant=tenant,
        name=name,
        prefix=prefix,
        secret_hash=hash_secret(secret),
        scopes=scopes,  # type: ignore[arg-type]  # validated and frozen in __post_init__
        created_at_ms=now_ms,
        expires_at_ms=expires_at_ms,
        owner=owner,
    )
    return key, f"{KEY_PREFIX}_{prefix}_{secret}"
