"""Prometheus' template functions and alert template expansion. The expected texts are
those of Prometheus' own tests (prometheus/prometheus ``template/template_test.go``,
``TestTemplateExpansion``), so our output is what Prometheus users already see."""

from __future__ import annotations

import math

import pytest

from domain.alerts.templates import check_template, expand, sample
from domain.templating import GoStruct, Template

PROMETHEUS_FUNCTIONS = __import__("domain.alerts.templates", fromlist=["FUNCTIONS"]).FUNCTIONS


def run(text: str, data: object = None, query=None) -> str:
    functions = dict(PROMETHEUS_FUNCTIONS)
    if query is not None:
        functions["query"] = lambda q: list(query(q))
    return Template.parse(text, "test", PROMETHEUS_FUNCTIONS).execute(data, functions)


@pytest.mark.parametrize(("text", "data", "output"), [
    ("plain text", None, "plain text"),
    ("{{ 1 }}", None, "1"),
    ('{{ "<b>" }}', None, "<b>"),  # no HTML escaping in text templates
    ("{{ range . }}{{ humanize . }}:{{ end }}", [0.0, 1.0, 1234567.0, .12], "0:1:1.235M:120m:"),
    ("{{ range . }}{{ humanize . }}:{{ end }}", ["0.0", "1.0", "1234567.0", ".12"], "0:1:1.235M:120m:"),
    ("{{ range . }}{{ humanize . }}:{{ end }}", [0, -1, 1, 1234567, 2**63 - 1], "0:-1:1:1.235M:9.223E:"),
    ("{{ range . }}{{ humanize1024 . }}:{{ end }}", [0.0, 1.0, 1048576.0, .12], "0:1:1Mi:0.12:"),
    ("{{ range . }}{{ humanize1024 . }}:{{ end }}", [0, -1, 1, 1234567, 2**63 - 1], "0:-1:1:1.177Mi:8Ei:"),
    ("{{ range . }}{{ humanizeDuration . }}:{{ end }}",
     [0, 1, 60, 3600, 86400, 86400 + 3600, -(86400 * 2 + 3600 * 3 + 60 * 4 + 5), 899.99],
     "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:1d 1h 0m 0s:-2d 3h 4m 5s:14m 59s:"),
    ("{{ range . }}{{ humanizeDuration . }}:{{ end }}", [.1, .0001, .12345, 60.1, 60.5, 1.2345, 12.345],
     "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:"),
    ("{{ range . }}{{ humanizeDuration . }}:{{ end }}", [0, -1, 1, 1234567], "0s:-1s:1s:14d 6h 56m 7s:"),
    ("{{ range . }}{{ humanize . }}:{{ humanize1024 . }}:{{ humanizeDuration . }}:{{humanizeTimestamp .}}:{{ end }}",
     [math.inf, -math.inf, math.nan], "+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:"),
    ("{{ range . }}{{ humanize . }}:{{ humanize1024 . }}:{{ humanizeDuration . }}:{{humanizeTimestamp .}}:{{ end }}",
     ["+Inf", "-Inf", "NaN"], "+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:"),
    ("{{ -0.22222 | humanizePercentage }}:{{ 0.0 | humanizePercentage }}:{{ 0.1234567 | humanizePercentage }}:"
     "{{ 1.23456 | humanizePercentage }}", None, "-22.22%:0%:12.35%:123.5%"),
    ("{{ range . }}{{ humanizePercentage . }}:{{ end }}", [0, -1, 1, 1234567, 2**63 - 1],
     "0%:-100%:100%:1.235e+08%:9.223e+20%:"),
    ("{{ range . }}{{ humanizeTimestamp . }}:{{ end }}", [0, -1, 1, 1234567, 9223372036],
     "1970-01-01 00:00:00 +0000 UTC:1969-12-31 23:59:59 +0000 UTC:1970-01-01 00:00:01 +0000 UTC:"
     "1970-01-15 06:56:07 +0000 UTC:2262-04-11 23:47:16 +0000 UTC:"),
    ("{{ 1435065584.128 | humanizeTimestamp }}", None, "2015-06-23 13:19:44.128 +0000 UTC"),
    ('{{ "1435065584.128" | humanizeTimestamp }}', None, "2015-06-23 13:19:44.128 +0000 UTC"),
    ('{{ "aa bb CC" | title }}', None, "Aa Bb CC"),
    ('{{ "aa bb CC" | toUpper }}', None, "AA BB CC"),
    ('{{ "aA bB CC" | toLower }}', None, "aa bb cc"),
    ('{{ match "a+" "aa" }} {{ match "a+" "b" }}', None, "true false"),
    ('{{ reReplaceAll "(a)b" "x$1" "ab" }}', None, "xa"),
    ('{{ printf "%0.2f" (parseDuration "1h2m10ms") }}', None, "3720.01"),
    ('{{ "foo.example.com" | stripPort }}', None, "foo.example.com"),
    ('{{ "foo.example.com:12345" | stripPort }}', None, "foo.example.com"),
    ('{{ "192.0.2.1:12345" | stripPort }}', None, "192.0.2.1"),
    ('{{ "2001:0DB8::1" | stripPort }}', None, "2001:0DB8::1"),
    ('{{ "[2001:0DB8::1]:12345" | stripPort }}', None, "2001:0DB8::1"),
    ('{{ "[2001:0DB8::1]::12345" | stripPort }}', None, "[2001:0DB8::1]::12345"),
])
def test_prometheus_template_expansion_cases(text: str, data: object, output: str) -> None:
    assert run(text, data) == output


def test_query_results_first_value_label_and_sorting() -> None:
    result = [sample({"__name__": "metric", "instance": "b"}, 21.0), sample({"__name__": "metric", "instance": "a"}, 11.0)]

    def query(_: str):
        return result

    assert run('{{ query "metric" | first | value }}', query=query) == "21"
    assert run("{{ query \"metric{instance='a'}\" | first | label \"instance\" }}", query=query) == "b"
    assert run('{{ $x := query "metric" | first }}{{ $x.Labels.foo }}', query=query) == ""
    assert run('{{ range query "metric" | sortByLabel "instance" }}{{.Labels.instance}}:{{.Value}}: {{end}}',
               query=query) == "a:11: b:21: "


def test_function_errors_read_as_prometheus_reports_them() -> None:
    out = expand('{{ query "missing" | first }}', "__alert_X", {}, 1.0, query=lambda q: [])
    assert out == ('<error expanding template: error executing template __alert_X: template: __alert_X:1: executing '
                   '"__alert_X": error calling first: first() called on vector with no elements>')
    bad = expand('{{ humanize "one" }}', "__alert_X", {}, 1.0)
    assert 'error calling humanize: strconv.ParseFloat: parsing "one": invalid syntax' in bad
    assert expand("{{", "__alert_X", {}, 1.0).startswith(
        "<error expanding template: error parsing template __alert_X: template: __alert_X:1: unclosed action")


def test_alert_templates_see_labels_value_and_external_labels() -> None:
    text = ("{{ $labels.instance }} of {{ .Labels.job }} is at {{ $value }} ({{ $value | humanize }}) "
            "in {{ $externalLabels.region }} {{ $externalURL }}")
    out = expand(text, "__alert_Down", {"instance": "a:1", "job": "node"}, 1_000_000.0,
                 external_labels={"region": "eu"}, external_url="http://oe:8400")
    assert out == "a:1 of node is at 1e+06 (1M) in eu http://oe:8400"
    assert expand("{{ $labels.missing }}|{{ $value }}", "__alert_X", {}, 0.5) == "|0.5"


def test_value_prints_as_go_prints_a_float64() -> None:
    for value, text in [(1.0, "1"), (0.1, "0.1"), (123456.0, "123456"), (1234567.0, "1.234567e+06"),
                        (0.0001, "0.0001"), (0.00001, "1e-05"), (math.nan, "NaN"), (-math.inf, "-Inf"), (-0.0, "-0")]:
        assert expand("{{ $value }}", "__alert_X", {}, value) == text


def test_check_template_reports_what_promtool_reports() -> None:
    assert check_template("{{ $labels.job }} {{ humanize $value }}", "__alert_A") is None
    assert check_template("{{ humanise $value }}", "__alert_A") == 'template: __alert_A:1: function "humanise" not defined'
    assert "undefined variable" in check_template("{{ $lables }}", "__alert_A")
    assert check_template('{{ define "x" }}{{ end }}', "__alert_A") is not None  # no named templates here


def test_data_is_a_struct_whose_missing_fields_are_errors() -> None:
    data = GoStruct("template.tmplData", {"Labels": {}, "Value": 1.0})
    with pytest.raises(ValueError, match="can't evaluate field Nope in type template.tmplData"):
        Template.parse("{{ .Nope }}", "t").execute(data)


def test_template_regexes_run_on_re2() -> None:
    # A pattern that takes Python's backtracking engine exponential time is linear here
    assert run('{{ match "(a+)+$" "' + "a" * 5000 + 'b" }}') == "false"
    assert run('{{ reReplaceAll "(?P<n>a+)" "<${n}$$>" "caab" }}') == "c<aa$>b"
    assert "error parsing regexp" in expand('{{ match "(a" "x" }}', "__alert_X", {}, 1.0)
    assert "backreferences" in expand('{{ match "(a)\\\\1" "aa" }}', "__alert_X", {}, 1.0)
