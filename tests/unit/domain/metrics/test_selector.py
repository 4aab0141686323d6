"""Selector: parsing, normal form, matching, and the str/parse round trip."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import LimitExceeded, ValidationError
from domain.metrics.labels import LabelSet
from domain.metrics.matchers import MatchOp, Matcher
from domain.metrics.query import Selector

from .strategies import label_names, matchers, metric_names


def test_parse_examples() -> None:
    assert Selector.parse('cpu_usage{host="a", mode=~"u.*"}') == Selector(
        "cpu_usage", (Matcher.of("host", "=", "a"), Matcher.of("mode", "=~", "u.*"))
    )
    assert Selector.parse("  cpu_usage ") == Selector("cpu_usage")
    assert Selector.parse("cpu_usage{}") == Selector("cpu_usage")
    assert Selector.parse('cpu_usage{host="a",}') == Selector("cpu_usage", (Matcher.of("host", "=", "a"),))
    assert Selector.parse('{__name__="x", job="y"}') == Selector("x", (Matcher.of("job", "=", "y"),))
    assert Selector.parse('{job="y", __name__="x"}') == Selector("x", (Matcher.of("job", "=", "y"),))


def test_name_matchers_other_than_equality_stay_matchers() -> None:
    sel = Selector.parse('{__name__=~"http_.*", job="api"}')
    assert sel.metric is None
    assert sel.matchers[0] == Matcher.of("__name__", "=~", "http_.*")
    assert sel.matches("http_requests", LabelSet.of({"job": "api"}))
    assert not sel.matches("grpc_requests", LabelSet.of({"job": "api"}))
    # An equality that is not a valid metric name cannot become .metric; it matches nothing.
    odd = Selector.parse('{__name__="not a name"}')
    assert odd.metric is None and not odd.matches("x", LabelSet.of({}))


def test_construction_normalizes_name_matchers() -> None:
    assert Selector(None, (Matcher.of("__name__", "=", "up"),)) == Selector("up")
    assert Selector("up", [Matcher.of("a", "=", "1")]).matchers == (Matcher.of("a", "=", "1"),)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as info:
        Selector("bad name")
    assert info.value.field == "metric"
    with pytest.raises(ValidationError):
        Selector("up", ("a=1",))  # type: ignore[arg-type]


def test_matches() -> None:
    sel = Selector.parse('cpu{env!="prod", host=~"web-.*"}')
    assert sel.matches("cpu", LabelSet.of({"host": "web-1"}))
    assert not sel.matches("mem", LabelSet.of({"host": "web-1"}))
    assert not sel.matches("cpu", LabelSet.of({"host": "web-1", "env": "prod"}))
    assert not sel.matches("cpu", LabelSet.of({"host": "db-1"}))
    assert Selector(None).matches("anything", LabelSet.of({"a": "1"}))


@pytest.mark.parametrize(
    ("text", "position", "words"),
    [
        ("", 0, "metric name or '{'"),
        ("   ", 3, "metric name or '{'"),
        ("{}", 0, "does not match the empty string"),
        ('{env=~".*"}', 0, "does not match the empty string"),
        ('cpu{host="a"', 12, "missing closing '}'"),
        ("cpu{host=a}", 9, "quoted string"),
        ('cpu{host="a" mode="b"}', 13, "expected ','"),
        ('cpu{,host="a"}', 4, "label name"),
        ('cpu{host=="a"}', 9, "quoted string"),
        ('cpu{host="a"} extra', 14, "unexpected text"),
        ('cpu{host=~"("}', 4, "invalid regular expression"),
        ('cpu{__name__="x"}', 4, "metric name given twice"),
        ("9cpu", 0, "metric name or '{'"),
        ('cpu{host="a\\q"}', 11, "unknown escape"),
        ("cpu-total", 3, "unexpected text"),
    ],
)
def test_parse_errors_name_the_field_and_position(text: str, position: int, words: str) -> None:
    with pytest.raises(ValidationError) as info:
        Selector.parse(text)
    assert info.value.field == "selector"
    assert words in info.value.message
    assert f"at position {position}" in info.value.message


def test_overlong_metric_name_is_a_limit() -> None:
    with pytest.raises(LimitExceeded) as info:
        Selector.parse("a" * 300 + '{b="c"}')
    assert info.value.field == "selector" and info.value.limit == "max_metric_name_length"


def test_str_forms() -> None:
    assert str(Selector("up")) == "up"
    assert str(Selector("up", (Matcher.of("a", "=", 'x"y'),))) == 'up{a="x\\"y"}'
    assert str(Selector(None, (Matcher.of("a", "!=", ""),))) == '{a!=""}'
    both = Selector("up", (Matcher.of("__name__", "!~", "down"),))
    assert str(both) == '{__name__="up", __name__!~"down"}'
    assert Selector.parse(str(both)) == both


name_matchers = matchers(names=st.one_of(label_names, st.just("__name__")))


@given(st.one_of(st.none(), metric_names), st.lists(name_matchers, max_size=5))
def test_str_parse_round_trip(metric: str | None, ms: list[Matcher]) -> None:
    selector = Selector(metric, tuple(ms))
    text = str(selector)
    if selector.metric is None and all(m.matches_value("") for m in selector.matchers):
        with pytest.raises(ValidationError):
            Selector.parse(text)  # would select every series
    else:
        assert Selector.parse(text) == selector


_SELECTOR_ALPHABET = 'abc_:{}=!~"\'`\\, .*()[]|0\n\t' + "xuU"


@given(st.one_of(st.text(max_size=40), st.text(alphabet=_SELECTOR_ALPHABET, max_size=40)))
def test_parse_fuzz_only_ever_raises_validation_error(text: str) -> None:
    try:
        selector = Selector.parse(text)
    except ValidationError as exc:
        assert exc.field == "selector" and "position" in exc.message
        return
    assert isinstance(selector, Selector)
    assert Selector.parse(str(selector)) == selector


@given(st.lists(name_matchers, min_size=1, max_size=4), st.sampled_from(["up", "x:y"]))
def test_fuzz_on_mangled_valid_text(ms: list[Matcher], metric: str) -> None:
    text = str(Selector(metric, tuple(m for m in ms if m.name != "__name__")))
    for cut in range(len(text) + 1):
        try:
            Selector.parse(text[:cut])
        except ValidationError:
            pass


def test_match_op_values() -> None:
    assert [op.value for op in MatchOp] == ["=", "!=", "=~", "!~"]
