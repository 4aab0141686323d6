"""label_replace's replacement templates follow Go's Regexp.Expand."""

from __future__ import annotations

import re

import pytest

from domain.promql.expand import expand


def run(template: str, pattern: str, text: str) -> str:
    m = re.fullmatch(pattern, text)
    assert m is not None
    spans = [m.span(i) for i in range((m.re.groups) + 1)]
    return expand(template, text, spans, m.re.groupindex)


@pytest.mark.parametrize(("template", "expected"), [
    ("$1", "ab"), ("${1}x", "abx"), ("$1x", ""), ("$2-$1", "cd-ab"), ("$name", "cd"), ("${name}!", "cd!"),
    ("$$1", "$1"), ("$", "$"), ("a$", "a$"), ("${1", "${1"), ("$9", ""), ("$0", "abcd"), ("$01", ""), ("plain", "plain"),
])
def test_templates_expand_as_in_go(template, expected):
    assert run(template, r"(ab)(?P<name>cd)", "abcd") == expected


def test_a_group_that_did_not_take_part_expands_to_nothing():
    assert run("[$1][$2]", r"(a)|(b)", "b") == "[][b]"
