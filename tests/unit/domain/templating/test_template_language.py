"""Go's text/template language as the domain implements it: Go's semantics on worked
examples, and by property: text without actions is itself, literals print as Go
prints them, trim markers remove exactly the whitespace next to them, and no input
whatever raises anything but a template error."""

from __future__ import annotations

import json
import re

import hypothesis.strategies as st
import pytest
from hypothesis import given

from domain.templating import GoStruct, Template, TemplateExecError, TemplateSyntaxError
from domain.templating.gofmt import format_g, format_value, sprintf


def render(text: str, data: object = None) -> str:
    return Template.parse(text, "t").execute(data)


@pytest.mark.parametrize(("text", "data", "output"), [
    ("{{ if 0 }}a{{ else if 1 }}b{{ else }}c{{ end }}", None, "b"),
    ("{{ if \"\" }}a{{ else }}{{ if . }}b{{ end }}{{ end }}", [1], "b"),
    ("{{ range . }}{{ . }},{{ else }}none{{ end }}", [], "none"),
    ("{{ range $i, $e := . }}{{ $i }}={{ $e }} {{ end }}", ["a", "b"], "0=a 1=b "),
    ("{{ range $k, $v := . }}{{ $k }}:{{ $v }};{{ end }}", {"b": "2", "a": "1"}, "a:1;b:2;"),
    ("{{ range . }}{{ if eq . 2 }}{{ break }}{{ end }}{{ . }}{{ end }}", [1, 2, 3], "1"),
    ("{{ range . }}{{ if eq . 2 }}{{ continue }}{{ end }}{{ . }}{{ end }}", [1, 2, 3], "13"),
    ("{{ with .x }}{{ . }}{{ else }}empty{{ end }}", {"x": ""}, "empty"),
    ("{{ $x := 1 }}{{ range . }}{{ $x = . }}{{ end }}{{ $x }}", [5, 6], "6"),
    ("{{ and 1 0 2 }} {{ or 0 \"\" 3 }} {{ not 0 }}", None, "0 3 true"),
    ("{{ and 0 (index . 5) }}", [], "0"),  # short-circuit: index is never called
    ("{{ len \"héllo\" }} {{ len . }} {{ index . 1 }}", ["a", "b"], "6 2 b"),
    ("{{ print 1 2 \"a\" 3 \"b\" \"c\" }}", None, "1 2a3bc"),
    ("{{ println 1 \"a\" }}", None, "1 a\n"),
    ("{{ printf \"%v %s %d %5.2f %-4s| %q %x %t %e %g %%\" 1.5 \"s\" 42 3.14159 \"ab\" \"q\" 255 true 1234.5 0.00001 }}",
     None, "1.5 s 42  3.14 ab  | \"q\" ff true 1.234500e+03 1e-05 %"),
    ("{{ printf \"%d %s\" 1.5 2 }}", None, "%!d(float64=1.5) %!s(int=2)"),
    ("{{ printf \"%d\" }}|{{ printf \"x\" 1 }}", None, "%!d(MISSING)|x%!(EXTRA int=1)"),
    ("{{ printf \"%08.3f|%+d|%x\" -3.14159 5 \"hi\" }}", None, "-003.142|+5|6869"),
    ("{{ 1.0 }} {{ 1e6 }} {{ 0x10 }} {{ 'a' }} {{ `raw\\n` }} {{ \"esc\\tq\" }}", None, "1 1e+06 16 97 raw\\n esc\tq"),
    ("{{ (index . 0).Name }}", [{"Name": "n"}], "n"),
    ("a  {{- 1 -}}  b {{- /* c */ -}} c", None, "a1bc"),
    ("{{ html \"<a href='x'>\" }} {{ urlquery \"a b&c\" }}", None, "&lt;a href=&#39;x&#39;&gt; a+b%26c"),
    ("{{ . }}", {"b": 1, "a": [1, 2.5]}, "map[a:[1 2.5] b:1]"),
    ("{{ . }}", GoStruct("T", {"A": 1, "B": "x"}), "{1 x}"),
    ("{{ eq . \"a\" \"b\" }}", "b", "true"),
    ("{{ lt 1 2 }} {{ ge 2.5 2.5 }} {{ ne \"a\" \"b\" }}", None, "true true true"),
])
def test_go_semantics(text: str, data: object, output: str) -> None:
    assert render(text, data) == output


@pytest.mark.parametrize(("text", "fragment"), [
    ("{{ gt 1 1.5 }}", "incompatible types for comparison"),
    ("{{ lt . 1 }}", "invalid type for comparison"),
    ("{{ index . 3 }}", "index out of range"),
    ("{{ .a.b }}", "can't evaluate field b in type string"),
    ("{{ range 1.5 }}{{ end }}", "range can't iterate over 1.5"),
    ("{{ len 3 }}", "len of type int"),
])
def test_runtime_errors(text: str, fragment: str) -> None:
    with pytest.raises(TemplateExecError, match=fragment):
        render(text, {"a": "x"} if ".a" in text else [])


@pytest.mark.parametrize(("text", "fragment"), [
    ("{{", "unclosed action"),
    ("{{ if 1 }}", "unexpected EOF"),
    ("{{ else }}", "unexpected {{else}}"),
    ("{{ end }}", "unexpected {{end}}"),
    ("{{ nope }}", 'function "nope" not defined'),
    ("{{ $x }}", 'undefined variable "$x"'),
    ("{{ if 1 }}{{ $x := 1 }}{{ end }}{{ $x }}", 'undefined variable "$x"'),
    ("{{ 1 2 }}", "can't give argument to non-function"),
    ("{{ break }}", "{{break}} outside {{range}}"),
    ("{{ template \"x\" }}", "not supported"),
    ("{{ \"open }}", "unterminated quoted string"),
    ("{{ /* x }}", "unclosed comment"),
    ("{{ ( 1 }}", "unexpected"),
    ("{{ | }}", "missing value"),
])
def test_parse_errors(text: str, fragment: str) -> None:
    with pytest.raises(TemplateSyntaxError, match=re.escape(fragment)):
        Template.parse(text, "t")


def test_output_and_iterations_are_bounded() -> None:
    with pytest.raises(TemplateExecError, match="output longer than"):
        Template.parse("{{ range . }}xxxxxxxxxx{{ end }}", "t").execute(list(range(100)), max_output=500)
    with pytest.raises(TemplateExecError, match="too many iterations"):
        Template.parse("{{ range . }}{{ range . }}{{ end }}{{ end }}", "t").execute([[1] * 100] * 100, max_steps=1000)


@given(st.text().filter(lambda t: "{{" not in t))
def test_text_without_actions_is_itself(text: str) -> None:
    assert render(text) == text


LITERALS = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12).filter(lambda f: f != int(f)),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=10),
    st.booleans(),
)


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # A Go interpreted string literal: a raw newline inside quotes is a syntax error
        # in Go as in ours, so control characters are escaped (JSON's escapes are Go's).
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


@given(LITERALS)
def test_literals_print_as_go_prints_them(value: object) -> None:
    assert render("{{ " + _literal(value) + " }}") == format_value(value)


@given(st.text(alphabet=" \t\nab", max_size=8), st.text(alphabet=" \t\nab", max_size=8))
def test_trim_markers_remove_exactly_the_adjacent_whitespace(left: str, right: str) -> None:
    assert render(left + "{{- 7 -}}" + right) == left.rstrip(" \t\n") + "7" + right.lstrip(" \t\n")
    assert render(left + "{{ 7 }}" + right) == left + "7" + right


@given(st.text(alphabet='{}$. ()|"abif=:-/*0123,', max_size=40))
def test_any_text_parses_runs_or_fails_with_a_template_error(text: str) -> None:
    try:
        Template.parse(text, "t").execute({"a": "b"})
    except (TemplateSyntaxError, TemplateExecError):
        pass


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_g_reads_back_to_the_same_float(value: float) -> None:
    assert float(format_g(value)) == value
    text = format_g(abs(value))
    exponent = "e" in text
    digits_before = len(text.split("e")[0].split(".")[0].lstrip("0")) if not exponent else 1
    assert exponent or digits_before <= 6  # positional only below 1e6 (from 1e6 on: 1e+06)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
       st.integers(min_value=0, max_value=8))
def test_printf_f_rounds_like_c(value: float, precision: int) -> None:
    assert sprintf(f"%.{precision}f", value) == f"%.{precision}f" % value
