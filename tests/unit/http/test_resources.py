"""The configuration resources' HTTP conventions: versions, ETags, paging."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from adapters.http.resources import Paging, expected_version, page, parse_if_match
from domain.errors import PreconditionRequired, ValidationError


def test_a_write_names_its_version_in_the_body_or_if_match() -> None:
    assert expected_version(3, None) == 3
    assert expected_version(None, '"4"') == 4
    assert expected_version(None, 'W/"5"') == 5
    assert expected_version(6, '"6"') == 6


def test_a_write_naming_no_version_is_refused_with_428() -> None:
    with pytest.raises(PreconditionRequired, match="If-Match"):
        expected_version(None, None)


def test_disagreeing_versions_and_foreign_etags_are_named() -> None:
    with pytest.raises(ValidationError) as disagree:
        expected_version(2, '"3"')
    assert disagree.value.field == "version"
    with pytest.raises(ValidationError) as foreign:
        parse_if_match("*")
    assert foreign.value.field == "If-Match"


@given(keys=st.sets(st.text(min_size=1, max_size=8), max_size=40), limit=st.integers(1, 7))
def test_walking_the_cursors_returns_every_item_once_in_order(keys: set[str], limit: int) -> None:
    from adapters.http.resources import _decode_cursor

    seen: list[str] = []
    after = None
    for _ in range(len(keys) + 2):
        body = page(list(keys), Paging(limit, after), key=lambda k: k, render=lambda k: k)
        seen += body["data"]
        if body["next_cursor"] is None:
            break
        after = _decode_cursor(body["next_cursor"])
    assert seen == sorted(keys)


async def test_a_cursor_this_api_did_not_send_is_a_clear_error() -> None:
    from adapters.http.resources import paging

    with pytest.raises(ValidationError) as bad:
        await paging(10, "%%%")
    assert bad.value.field == "cursor"
