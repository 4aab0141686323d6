"""Matchers: each operator, missing labels, anchoring, parsing and its errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import ValidationError
from domain.metrics.labels import LabelSet
from domain.metrics.matchers import MatchOp, Matcher, matches_all, parse_matchers

from .strategies import matchers

LABELS = LabelSet.of({"env": "prod", "host": "web-1"})


@pytest.mark.parametrize(
    ("name", "op", "value", "expected"),
    [
        ("env", "=", "prod", True),
        ("env", "=", "dev", False),
        ("env", "!=", "dev", True),
        ("env", "!=", "prod", False),
        ("host", "=~", "web-.*", True),
        ("host", "=~", "web", False),  # anchored: a prefix is not a match
        ("host", "=~", "eb-1", False),  # anchored at the start too
        ("host", "=~", "db|web-1", True),
        ("host", "=~", "web-1|db", True),
        ("host", "!~", "web-.*", False),
        ("host", "!~", "db-.*", True),
        ("host", "=~", "(?i)WEB-1", True),
    ],
)
def test_operators(name: str, op: str, value: str, expected: bool) -> None:
    assert Matcher.of(name, op, value).matches(LABELS) is expected


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [("=", "", True), ("=", "x", False), ("!=", "x", True), ("!=", "", False),
     ("=~", ".*", True), ("=~", ".+", False), ("!~", ".+", True), ("!~", "", False)],
)
def test_missing_label_matches_as_empty_string(op: str, value: str, expected: bool) -> None:
    assert Matcher.of("zone", op, value).matches(LABELS) is expected


def test_alternation_cannot_escape_the_anchors() -> None:
    # Wrapping as "(?:value)$" would let this value match any text starting with "a".
    with pytest.raises(ValidationError):
        Matcher.of("host", "=~", "a)|(?:b")
    assert not Matcher.of("host", "=~", "a|b").matches_value("abc")


def test_dot_matches_newline() -> None:
    assert Matcher.of("msg", "=~", "a.b").matches_value("a\nb")


@pytest.mark.parametrize(
    ("name", "op", "value"),
    [("host", "=~", "("), ("host", "!~", "[a-"), ("host", "=~", "a{99999999999}"),
     ("1bad", "=", "x"), ("host", "==", "x"), ("host", "=~", "(" * 2000 + ")" * 2000)],
)
def test_invalid_matchers_raise_validation_error(name: str, op: str, value: str) -> None:
    with pytest.raises(ValidationError) as info:
        Matcher.of(name, op, value)
    assert info.value.field == f"matchers.{name}"


def test_direct_construction_compiles_its_regex() -> None:
    m = Matcher("host", MatchOp.RE, "web-.*")
    assert m.matches(LABELS) and m == Matcher.of("host", "=~", "web-.*")


def test_matches_all() -> None:
    assert matches_all(parse_matchers('env="prod", host=~"web.*"'), LABELS)
    assert not matches_all(parse_matchers('env="prod", host="x"'), LABELS)
    assert matches_all((), LABELS)


def test_parse_quoting_and_escapes() -> None:
    assert parse_matchers('a="x\\"y", b=\'q\', c=`raw\\d`, d="\\u00e9\\n\\x41",') == (
        Matcher.of("a", "=", 'x"y'),
        Matcher.of("b", "=", "q"),
        Matcher.of("c", "=", "raw\\d"),
        Matcher.of("d", "=", "é\nA"),
    )
    assert parse_matchers("") == ()
    assert parse_matchers("  a = \"1\"  ") == (Matcher.of("a", "=", "1"),)


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ('a="1" b="2"', 6),
        ('a="1",,', 6),
        ('a=1', 2),
        ('a="1', 2),
        ('a==1', 2),
        ('a~"1"', 1),
        ('a="\\q"', 3),
        ('a="\\xff"', 3),
        ('a="\\ud800"', 3),
        ('a=~"("', 0),
    ],
)
def test_parse_errors_say_where(text: str, position: int) -> None:
    with pytest.raises(ValidationError) as info:
        parse_matchers(text)
    assert info.value.field == "matchers"
    assert f"at position {position}" in info.value.message


@given(st.lists(matchers(), max_size=6))
def test_str_parse_round_trip(ms: list[Matcher]) -> None:
    assert parse_matchers(", ".join(map(str, ms))) == tuple(ms)


@given(st.text(max_size=30) | st.text(alphabet='ab_=!~"\'`\\,{} .*(|)xu0', max_size=30))
def test_parse_never_fails_with_anything_but_validation_error(text: str) -> None:
    try:
        parsed = parse_matchers(text)
    except ValidationError:
        return
    assert parse_matchers(", ".join(map(str, parsed))) == parsed
