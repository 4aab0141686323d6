"""The HTTP conventions every tenant-scoped configuration resource follows
(docs/adr/0017-configuration-resources.md): ETags, versioned writes, paged lists.

- A resource carries an integer ``version``; responses with one resource send it as
  ``ETag: "<version>"``.
- A write (PUT, PATCH, DELETE) names the version it read, as ``version`` in the body or
  the query, or as ``If-Match``; with none the write is refused with 428, and with a stale
  one the store refuses it with 409 naming ``current_version``.
- A list is ``{"data": [...], "next_cursor": ...}``, ordered by a stable key; ``limit``
  (1–1000, default 100) and the ``cursor`` of the previous page select a page.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Header, Query, Response

from domain.errors import PreconditionRequired, ValidationError

T = TypeVar("T")
MAX_PAGE = 1000
_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,18})"\s*$')


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


def parse_if_match(value: str | None) -> int | None:
    """The version an ``If-Match`` header names (``"3"`` or ``W/"3"``), None if absent."""
    if value is None or not value.strip():
        return None
    found = _ETAG.match(value)
    if found is None:
        raise ValidationError(f'If-Match must be an ETag this API sent, like "3"; got {value!r}', field="If-Match")
    return int(found.group(1))


def expected_version(version: int | None, if_match: str | None) -> int:
    """The version a write was based on, from the body/query ``version`` or ``If-Match``
    (they must agree when both are given); 428 when neither is."""
    from_header = parse_if_match(if_match)
    if version is not None and from_header is not None and version != from_header:
        raise ValidationError(f"version {version} and If-Match {if_match!r} disagree; send one", field="version")
    chosen = version if version is not None else from_header
    if chosen is None:
        raise PreconditionRequired(
            "name the version you read: 'version' in the body or an If-Match header with the ETag "
            "(read the resource first; this keeps your write from undoing a change you never saw)")
    return chosen


IfMatch = Annotated[str | None, Header(alias="If-Match", description='the ETag you read, e.g. "3"')]


@dataclass(frozen=True, slots=True)
class Paging:
    limit: int
    after: str | None  # the key of the last item of the previous page


async def paging(limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="items per page")] = 100,
                 cursor: Annotated[str | None, Query(max_length=2000, description="next_cursor of the previous page")] = None,
                 ) -> Paging:
    """FastAPI dependency: ``limit`` and ``cursor`` query parameters."""
    return Paging(limit, _decode_cursor(cursor) if cursor else None)


def _decode_cursor(cursor: str) -> str:
    try:
        return base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValidationError("cursor is not one this API sent (use next_cursor as given)", field="cursor") from None


def _encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def page(items: Sequence[T], p: Paging, key: Callable[[T], str], render: Callable[[T], Any]) -> dict[str, Any]:
    """One page of ``items`` ordered by ``key``, rendered, with the cursor of the next."""
    ordered = sorted(items, key=key)
    if p.after is not None:
        ordered = [item for item in ordered if key(item) > p.after]
    chosen = ordered[: p.limit]
    more = len(ordered) > p.limit
    return {"data": [render(item) for item in chosen],
            "next_cursor": _encode_cursor(key(chosen[-1])) if more and chosen else None}
