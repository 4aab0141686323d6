"""User regexes on RE2: linear time, Prometheus' syntax, refusals that say why, and the
same answers as Python's ``re`` on every pattern both accept."""

from __future__ import annotations

import copy
import pickle
import re

import hypothesis.strategies as st
import pytest
from hypothesis import assume, given

from domain.errors import ValidationError
from domain.metrics.matchers import Matcher, parse_matchers
from domain.regex import UserRegex

ALPHABET = "ab-1\n"


def _both_accept(pattern: str) -> re.Pattern[str] | None:
    try:
        UserRegex(pattern)
        return re.compile(pattern, re.DOTALL | re.ASCII)
    except (re.error, ValidationError):
        return None


def _patterns() -> st.SearchStrategy[str]:
    """Patterns in the syntax RE2 and ``re`` share (ASCII classes, no backtracking-only
    constructs), over the alphabet the texts use."""
    atoms = st.sampled_from(["a", "b", "-", "1", ".", "[ab]", "[^a]", "[a-b1]", "\\d", "\\w", "\\s", "\\-", "(?:a|b)",
                             "(?i:A)", "\\n"])

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        quantified = st.tuples(inner, st.sampled_from(["*", "+", "?", "{2}", "{1,3}", "*?", "+?", "{0,}"])).map("".join)
        grouped = inner.map(lambda p: f"({p})")
        concat = st.lists(inner, min_size=2, max_size=3).map("".join)
        alternation = st.lists(inner, min_size=2, max_size=3).map("|".join)
        return quantified | grouped | concat | alternation

    return st.recursive(atoms, extend, max_leaves=8)


@given(_patterns(), st.text(alphabet=ALPHABET, max_size=8))
def test_re2_agrees_with_python_re_on_patterns_both_accept(pattern: str, text: str) -> None:
    reference = _both_accept(pattern)
    assume(reference is not None)
    assert UserRegex(pattern).fullmatch(text) is (reference.fullmatch(text) is not None)


@given(_patterns(), st.text(alphabet=ALPHABET, max_size=8))
def test_matchers_are_fully_anchored(pattern: str, text: str) -> None:
    reference = _both_accept(pattern)
    assume(reference is not None)
    m = Matcher.of("job", "=~", pattern)
    assert m.matches_value(text) is (reference.fullmatch(text) is not None)
    assert Matcher.of("job", "!~", pattern).matches_value(text) is not m.matches_value(text)


def test_a_catastrophic_pattern_runs_in_linear_time() -> None:
    # Python's re backtracks through 2**n paths here; RE2 answers at once.
    assert not UserRegex("(a+)+$").fullmatch("a" * 5000 + "b")
    assert UserRegex("(a|aa)*").fullmatch("a" * 100_000)


@pytest.mark.parametrize("pattern, hint", [
    ("(a)\\1", "backreferences"),
    ("(?=a)a", "lookahead and lookbehind"),
    ("(?<=a)b", "lookahead and lookbehind"),
    ("(?!a).", "lookahead and lookbehind"),
    ("a++", "possessive"),
    ("a**", "cannot follow another"),
    ("a{1001}", "at most"),
    ("a{99999999999}", "at most"),
    ("(" * 1001 + ")" * 1001, "nested deeper"),
])
def test_what_re2_refuses_is_a_validation_error_naming_the_field(pattern: str, hint: str) -> None:
    with pytest.raises(ValidationError) as info:
        Matcher.of("job", "=~", pattern)
    assert info.value.field == "matchers.job"
    assert hint in info.value.message


def test_a_refusal_in_a_selector_says_where() -> None:
    with pytest.raises(ValidationError) as info:
        parse_matchers('job=~"(?=x)"')
    assert info.value.field == "matchers" and "lookahead" in info.value.message


def test_prometheus_syntax_is_accepted() -> None:
    assert UserRegex("(?i)API|web-[0-9]+").fullmatch("api")
    assert UserRegex("\\p{Greek}+").fullmatch("αβγ")
    assert UserRegex("[[:alpha:]]+").fullmatch("abc")
    assert UserRegex("a.b").fullmatch("a\nb")  # "." matches newlines, as in Prometheus 3
    assert not UserRegex("a|b").fullmatch("ab")


def test_compiled_regexes_survive_copies_and_pickling() -> None:
    m = Matcher.of("job", "=~", "api|web")
    for other in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert other == m and other.matches_value("web") and not other.matches_value("db")
