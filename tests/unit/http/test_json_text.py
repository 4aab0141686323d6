"""The streaming lone-surrogate scan agrees with decoding the whole JSON text and
encoding every string as UTF-8, however the text is cut into chunks."""

from __future__ import annotations

import json

import hypothesis.strategies as st
from hypothesis import given

from adapters.http.middleware.json_text import SurrogateScanner

# Strings built from pieces that stress escapes: surrogate escapes in every case, pairs,
# escaped backslashes before a "u", and plain text.
PIECES = st.sampled_from([
    "\\ud800", "\\uDBFF", "\\udc00", "\\uDFFF", "\\ud83d\\ude00", "\\\\ud800", "\\\\\\ud800", "\\u0041", "\\n",
    "\\\"", "a", "é", "\\ud800\\u0041", "\\ud800\\ud800\\udc00", "\\uD7FF", "\\uE000",
])


def _reference(text: str) -> bool:
    """True when the JSON text decodes to strings that are all valid Unicode."""
    doc = json.loads(text)

    def ok(value) -> bool:
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return False
            return True
        if isinstance(value, list):
            return all(ok(v) for v in value)
        if isinstance(value, dict):
            return all(ok(k) and ok(v) for k, v in value.items())
        return True

    return ok(doc)


def _scan(data: bytes, cuts: list[int]) -> bool:
    scanner = SurrogateScanner()
    bounds = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    chunks = [data[a:b] for a, b in zip(bounds, bounds[1:])] or [b""]
    for i, chunk in enumerate(chunks):
        if not scanner.feed(chunk, i == len(chunks) - 1):
            return False
    return True


@given(st.lists(st.lists(PIECES, max_size=6).map("".join), min_size=1, max_size=4), st.lists(st.integers(0, 200), max_size=8))
def test_the_scan_agrees_with_decoding(strings: list[str], cuts: list[int]) -> None:
    text = "{" + ", ".join(f'"k{i}": "{s}"' for i, s in enumerate(strings)) + "}"
    assert _scan(text.encode(), cuts) == _reference(text)


def test_an_escape_split_across_chunks_is_still_seen() -> None:
    data = b'{"a": "x\\ud800"}'
    for cut in range(len(data) + 1):
        assert _scan(data, [cut]) is False
    good = b'{"a": "x\\ud83d\\ude00"}'
    for cut in range(len(good) + 1):
        assert _scan(good, [cut]) is True
