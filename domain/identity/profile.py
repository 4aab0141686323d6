"""What a person says about themself: username, email, time zone, notification contacts.

Usernames are what people type at the sign-in form, so they are forgiving where that
costs nothing (surrounding blanks dropped, upper case folded) and strict where it keeps
them safe in URLs, logs and audit entries (letters, digits and ``. _ @ -`` only).

Email validation is deliberately simple (one ``@``, a non-empty local part, a dotted
domain, no whitespace, at most 254 characters): the only real proof that an address
works is a message delivered to it, and stricter RFC 5322 parsing rejects addresses
people actually use. The domain part is lower-cased (domains are case-insensitive), the
local part kept as typed (it may be case-sensitive).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import LimitExceeded, ValidationError
MAX_EMAIL_LENGTH = 254
MAX_USERNAME_LENGTH = 64
MAX_CONTACTS = 10
MAX_ADDRESS_LENGTH = 254
_USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]*$")
_PHONE_RE = re.compile(r"^\+?[0-9(][0-9 ().-]{3,30}[0-9]$")
_SLACK_RE = re.compile(r"^[@#]?[A-Za-z0-9._-]{1,80}$")
_EMAIL_RE = re.compile(r"^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$")


def normalize_email(value: object, *, field: str = "email") -> str:
    """Return the normalized address or raise ``ValidationError`` naming ``field``."""
    if not isinstance(value, str):
        raise ValidationError("email must be a string", field=field)
    value = value.strip()
    if len(value) > MAX_EMAIL_LENGTH:
        raise ValidationError(f"email is over {MAX_EMAIL_LENGTH} characters", field=field)
    if not _EMAIL_RE.fullmatch(value) or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValidationError(f"invalid email address {value!r}", field=field)
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def normalize_username(value: object, *, field: str = "username") -> str:
    """Lower-cased and trimmed; 1-64 of ``a-z 0-9 . _ @ -``, starting with a letter or digit."""
    if not isinstance(value, str):
        raise ValidationError("username must be a string", field=field)
    name = value.strip().lower()
    if not name or len(name) > MAX_USERNAME_LENGTH or not _USERNAME_RE.fullmatch(name):
        raise ValidationError(
            f"invalid username {value!r}: use 1-{MAX_USERNAME_LENGTH} letters, digits or . _ @ -, "
            "starting with a letter or digit", field=field)
    return name


def validate_timezone(value: object, *, field: str = "timezone") -> str:
    """An IANA time zone name (``Europe/Berlin``); ``UTC`` is one."""
    if not isinstance(value, str) or not value or len(value) > 64:
        raise ValidationError(f"unknown time zone {value!r} (use an IANA name like Europe/Berlin)", field=field)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"unknown time zone {value!r} (use an IANA name like Europe/Berlin)", field=field) from None
    return value


class ContactKind(str, enum.Enum):
    EMAIL = "email"
    SMS = "sms"
    SLACK = "slack"
    PHONE = "phone"


@dataclass(frozen=True, slots=True)
class Contact:
    """One way to reach a person: an email address, a phone number (SMS or call), or a
    Slack member id or handle."""

    kind: ContactKind
    address: str

    def __post_init__(self) -> None:
        try:
            kind = ContactKind(self.kind)
        except ValueError:
            allowed = ", ".join(k.value for k in ContactKind)
            raise ValidationError(f"unknown contact kind {self.kind!r}; use one of {allowed}", field="kind") from None
        object.__setattr__(self, "kind", kind)
        address = self.address
        if not isinstance(address, str) or not address.strip():
            raise ValidationError("a contact needs an address", field="address")
        address = address.strip()
        if kind is ContactKind.EMAIL:
            address = normalize_email(address, field="address")
        elif kind in (ContactKind.SMS, ContactKind.PHONE):
            if not _PHONE_RE.fullmatch(address):
                raise ValidationError(f"invalid phone number {address!r}: digits, optionally +, spaces, ( ) . -",
                                      field="address")
        elif not _SLACK_RE.fullmatch(address):
            raise ValidationError(f"invalid Slack member id or handle {address!r}", field="address")
        object.__setattr__(self, "address", address)

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind.value, "address": self.address}


def parse_contacts(value: object, *, field: str = "contacts") -> tuple[Contact, ...]:
    """Contacts from ``[{"kind", "address"}]`` or ``Contact`` objects: at most 10, no
    duplicate, the order kept (the first is tried first)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise ValidationError("contacts must be a list of {kind, address}", field=field)
    if len(value) > MAX_CONTACTS:
        raise LimitExceeded(f"{len(value)} contacts, over the limit of {MAX_CONTACTS}", field=field,
                            limit="max_contacts", value=MAX_CONTACTS)
    out: list[Contact] = []
    for i, item in enumerate(value):
        try:
            if isinstance(item, Contact):
                contact = item
            elif isinstance(item, dict):
                contact = Contact(item.get("kind"), item.get("address"))  # type: ignore[arg-type]
            else:
                raise ValidationError("a contact is an object {kind, address}")
        except ValidationError as exc:
            raise exc.at(f"{field}[{i}]") from None
        if contact in out:
            raise ValidationError("the same contact is listed twice", field=f"{field}[{i}]")
        out.append(contact)
    return tuple(out)
