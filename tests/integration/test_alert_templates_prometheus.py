"""Alert templates against Prometheus 2.42 itself: a rule file whose alert carries
annotations and labels exercising the template language and Prometheus' functions
is loaded into a real Prometheus and evaluated by our rule evaluation; the alert's
labels and every annotation must read the same (an error must be an error in both:
Go's messages carry columns ours do not)."""

from __future__ import annotations

import asyncio
import time

import pytest
import yaml

from adapters.memory.samples import MemorySampleStore
from domain.alerts.alerting_rules import AlertingRuleState
from domain.alerts.templates import sample
from services.promql.engine import PromQLEngine
from services.promrules.evaluation import vector_of
from services.rule_files import load_groups
from tests.support.prometheus_server import PrometheusServer

EXPR = 'label_replace(label_replace(vector(1234567.891), "instance", "host-a:9100", "", ""), "job", "node", "", "")'
ANNOTATIONS = {
    "value": "{{ $value }}",
    "humanize": "{{ $value | humanize }} {{ humanize 0.000123 }} {{ humanize -2500 }} {{ humanize 0 }}",
    "humanize1024": "{{ humanize1024 $value }} {{ humanize1024 1 }} {{ humanize1024 2048 }}",
    "durations": "{{ humanizeDuration 3661 }} {{ humanizeDuration 0.05 }} {{ humanizeDuration 86400.5 }}",
    "percent": "{{ humanizePercentage 0.1234 }} {{ humanizePercentage 2 }}",
    "timestamp": "{{ humanizeTimestamp 1435065584.128 }} {{ humanizeTimestamp 0 }}",
    "printf": '{{ printf "%.3f|%d|%s|%v|%q|%10.2e|%-6s|%05d|%x|%t|%g" $value 42 "s" 1.5 "q" 12345.678 "ab" 7 255 true 1e-7 }}',
    "printf_errors": '{{ printf "%d %s %v" 1.5 2 }}',
    "labels": "{{ $labels.instance }} {{ .Labels.job }} [{{ $labels.missing }}] {{ len $labels }} {{ index $labels \"job\" }}",
    "control": "{{ if gt $value 1000.0 }}big{{ else if gt $value 1.0 }}mid{{ else }}small{{ end }}"
               "{{ with $labels.job }} job={{ . }}{{ end }}{{ with $labels.nope }}no{{ else }} none{{ end }}",
    "range": "{{ range $k, $v := $labels }}{{ $k }}={{ $v }},{{ end }}{{ range $i, $e := query \"vector(5)\" }}{{ $i }}{{ end }}",
    "query": '{{ range query "label_replace(vector(2), \\"x\\", \\"y\\", \\"\\", \\"\\")" }}{{ .Labels.x }}:{{ .Value }}{{ end }}'
             ' {{ with query "vector(3)" }}{{ . | first | value | humanize }}{{ end }}'
             ' {{ query "label_replace(vector(4), \\"k\\", \\"v\\", \\"\\", \\"\\")" | first | label "k" }}',
    "sorted": '{{ range query "label_replace(vector(1), \\"i\\", \\"b\\", \\"\\", \\"\\") or label_replace(vector(2), \\"i\\", \\"a\\", \\"\\", \\"\\")" | sortByLabel "i" }}{{ .Labels.i }}{{ end }}',
    "strings": '{{ "hello wORLD foo-bar" | title }} {{ toUpper "ab" }} {{ toLower "AB" }} {{ match "a+" "caab" }}'
               ' {{ reReplaceAll "(a+)" "<$1>" "caab" }} {{ "host:80" | stripPort }} {{ "[::1]:80" | stripPort }}',
    "numbers": "{{ 1e6 }} {{ 0.1 }} {{ 100000.0 }} {{ 123456789.0 }} {{ -0.00001 }} {{ 42 }} {{ 0x1F }} {{ 1.5e300 }}",
    "logic": "{{ and 1 0 }} {{ or 0 \"x\" }} {{ not true }} {{ eq 1 1 }} {{ ne \"a\" \"b\" }} {{ le 1.5 1.5 }}",
    "print": '{{ print 1 2 "a" 3.5 "b" }}|{{ println "x" 1 }}|{{ html "<b>&" }}|{{ urlquery "a b&c" }}',
    "duration_parse": '{{ printf "%0.2f" (parseDuration "1h2m10ms") }}',
    "trim": "a  {{- 1 -}}  b {{- /* a comment */ -}}   c",
    "error": '{{ query "vector(1) and vector(0) == 1" | first }}',
    "error_field": "{{ $labels.job.nope }}",
}
LABELS = {"severity": "page", "where": "{{ $labels.instance }}-{{ $value | humanize }}", "job": ""}


def _rule_file() -> str:
    doc = {"groups": [{"name": "templates", "rules": [
        {"alert": "Templates", "expr": EXPR, "labels": LABELS, "annotations": ANNOTATIONS}]}]}
    return yaml.safe_dump(doc, sort_keys=False)


@pytest.fixture(scope="module")
def prometheus_alert(tmp_path_factory) -> dict:
    with PrometheusServer(tmp_path_factory.mktemp("prometheus"), rules=_rule_file(), evaluation_interval="1s") as server:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            alerts = server.get("/api/v1/alerts").json()["data"]["alerts"]
            if alerts:
                return alerts[0]
            time.sleep(0.5)
        raise AssertionError(f"Prometheus raised no alert: {server.log_tail()}")


@pytest.fixture(scope="module")
def our_alert(tmp_path_factory) -> dict:
    (group,) = load_groups(_rule_file(), "t")
    (rule,) = group.rules
    state = AlertingRuleState("t", "r", rule)
    result = [({"instance": "host-a:9100", "job": "node"}, 1234567.891)]

    engine = PromQLEngine(MemorySampleStore())

    def query(text: str) -> list:
        # Our engine, as the rule manager binds it (the queries are of constants)
        return [sample(labels, value) for labels, value in vector_of(asyncio.run(engine.instant("t", text, 0)))]

    try:
        state.evaluate(result, 0, query=query)
    finally:
        engine.close()
    (alert,) = state.active.values()
    return {"labels": alert.labels.as_dict(), "annotations": dict(alert.annotations)}


def test_alert_labels_are_expanded_the_same(prometheus_alert: dict, our_alert: dict) -> None:
    assert our_alert["labels"] == prometheus_alert["labels"]


@pytest.mark.parametrize("key", sorted(ANNOTATIONS))
def test_annotation_reads_the_same(prometheus_alert: dict, our_alert: dict, key: str) -> None:
    theirs, ours = prometheus_alert["annotations"][key], our_alert["annotations"][key]
    if theirs.startswith("<error expanding template"):
        assert ours.startswith("<error expanding template: error executing template __alert_Templates: "), ours
        return
    assert ours == theirs

