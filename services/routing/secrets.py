"""Receivers' secrets: sealed at rest, never shown, kept when a write leaves them out.

Which fields are secret, per channel type: a webhook's ``url`` and signing ``secret``,
Slack's and Teams' ``url`` (the URL is the credential), an email channel's SMTP
``password``, PagerDuty's ``routing_key``. Stored, each is ``{"$sealed": "<box>"}``
sealed for (tenant, receiver); shown (API, audit, export) it is ``"<redacted>"``. A
write that omits a secret field, or sends the redacted marker back, keeps the stored
value of the channel of the same type and name; ``<field>_file`` is refused: files on
the server are the seed file's business, not a tenant's.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from domain.errors import ValidationError
from ports.secrets import SecretBox
from services.pipeline.config import CHANNEL_TYPES

REDACTED = "<redacted>"
REDACTED_URL = "https://redacted.invalid/"  # the marker where a URL must parse (the Alertmanager export)
SECRET_FIELDS_BY_TYPE: Mapping[str, tuple[str, ...]] = {
    "webhook": ("url", "secret"), "slack": ("url",), "teams": ("url",), "email": ("password",),
    "pagerduty": ("routing_key",), "log": (),
}
_SEALED = "$sealed"


def channel_lists(doc: Mapping[str, Any]):
    """``(type, index, channel name, channel document)`` for every channel of a receiver
    document (names default as the configuration parser names them)."""
    for kind in CHANNEL_TYPES:
        items = doc.get(f"{kind}_configs")
        if isinstance(items, list):
            for i, channel in enumerate(items):
                if isinstance(channel, Mapping):
                    yield kind, i, str(channel.get("name", f"{kind}-{i}")), channel


def _is_sealed(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {_SEALED} and isinstance(value[_SEALED], str)


def has_secrets(doc: Mapping[str, Any]) -> bool:
    return any(_is_sealed(c.get(f)) for kind, _, _, c in channel_lists(doc) for f in SECRET_FIELDS_BY_TYPE[kind])


class ReceiverSecrets:
    def __init__(self, box: SecretBox) -> None:
        self._box = box

    @staticmethod
    def _purpose(tenant: str, receiver: str) -> str:
        return f"observer-eye routing receiver\x00{tenant}\x00{receiver}"

    def merge(self, tenant: str, new: Mapping[str, Any], stored: Mapping[str, Any] | None) -> dict[str, Any]:
        """``new`` (as written) with its secrets sealed, and each secret it left out or
        sent back redacted taken from ``stored`` (sealed already)."""
        name = str(new.get("name", ""))
        previous = {(k, n): c for k, _, n, c in channel_lists(stored or {})}
        out = copy.deepcopy(dict(new))
        for kind, i, channel_name, channel in channel_lists(out):
            where = f"{kind}_configs[{i}]"
            for key in channel:
                if key.endswith("_file"):
                    raise ValidationError(f"{key} reads a file on the server; give {key[:-5]} itself (it is stored "
                                          "encrypted and never shown)", field=f"{where}.{key}")
            before = previous.get((kind, channel_name), {})
            for field in SECRET_FIELDS_BY_TYPE[kind]:
                value = channel.get(field)
                if value is None or value in (REDACTED, REDACTED_URL):
                    if _is_sealed(before.get(field)):
                        channel[field] = dict(before[field])
                    elif value is not None:
                        raise ValidationError(f"{field} is {value!r}, a placeholder, and no stored value to keep "
                                              f"(channel {channel_name!r} is new); give the real value", field=f"{where}.{field}")
                elif isinstance(value, str):
                    channel[field] = {_SEALED: self._box.seal(value, self._purpose(tenant, name))}
                elif not _is_sealed(value):
                    raise ValidationError("must be a string", field=f"{where}.{field}")
        return out

    def reveal(self, tenant: str, stored: Mapping[str, Any]) -> dict[str, Any]:
        """The plain document, for the notification channels (never for display)."""
        out = copy.deepcopy(dict(stored))
        name = str(out.get("name", ""))
        for kind, _, _, channel in channel_lists(out):
            for field in SECRET_FIELDS_BY_TYPE[kind]:
                if _is_sealed(channel.get(field)):
                    channel[field] = self._box.unseal(channel[field][_SEALED], self._purpose(tenant, name))
        return out


def redact(stored: Mapping[str, Any], marker: str = REDACTED, url_marker: str | None = None) -> dict[str, Any]:
    """The document as anyone may see it: every secret as ``marker`` (URL fields as
    ``url_marker`` when given)."""
    out = copy.deepcopy(dict(stored))
    for kind, _, _, channel in channel_lists(out):
        for field in SECRET_FIELDS_BY_TYPE[kind]:
            if field in channel:
                channel[field] = url_marker if (url_marker and field == "url") else marker
    return out
