"""The exposition parser: examples of each format's rules, a render → parse round trip
over random families, and a fuzz test that only ValidationError ever escapes."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import ValidationError
from domain.metrics.exposition import (
    MetricFamily,
    MetricType,
    _OM_SUFFIXES,
    _TEXT_SUFFIXES,
    ExpositionSample,
    is_openmetrics,
    parse,
    parse_openmetrics,
    parse_text,
)
from tests.unit.domain.metrics.strategies import label_dicts

# -- rendering (the inverse of the parser, for the round trip) --------------------------


def _value(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


def _label_value(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(labels: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{_label_value(v)}"' for k, v in labels.items()) + "}" if labels else ""


def render_text(families: list[MetricFamily]) -> str:
    out = []
    for f in families:
        if f.help:
            out.append(f"# HELP {f.name} " + f.help.replace("\\", "\\\\").replace("\n", "\\n"))
        out.append(f"# TYPE {f.name} {'untyped' if f.type is MetricType.UNKNOWN else f.type.value}")
        for s in f.samples:
            ts = "" if s.timestamp_ms is None else f" {s.timestamp_ms}"
            out.append(f"{s.name}{_labels(s.labels)} {_value(s.value)}{ts}")
    return "\n".join(out) + "\n"


def render_openmetrics(families: list[MetricFamily], exemplars: list[bool] | None = None) -> str:
    out = []
    flags = iter(exemplars or [])
    for f in families:
        if f.type is not MetricType.UNKNOWN or f.help or f.unit or not f.samples:
            out.append(f"# TYPE {f.name} {f.type.value}")
        if f.unit:
            out.append(f"# UNIT {f.name} {f.unit}")
        if f.help:
            out.append(f"# HELP {f.name} " + f.help.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"'))
        for s in f.samples:
            ts = "" if s.timestamp_ms is None else " " + format(Decimal(s.timestamp_ms) / 1000, "f")
            exemplar = ' # {trace_id="a # b"} 1.5 1.25' if next(flags, False) else ""
            out.append(f"{s.name}{_labels(s.labels)} {_value(s.value)}{ts}{exemplar}")
    return "".join(line + "\n" for line in out) + "# EOF\n"


# -- strategies -------------------------------------------------------------------------

INT64 = 2**63 - 1
helps = st.text(max_size=20).filter(lambda h: h == h.strip(" \t\r"))
units = st.from_regex(r"[a-z]{1,6}", fullmatch=True)
values = st.floats(allow_nan=True, allow_infinity=True)
timestamps = st.none() | st.integers(-INT64, INT64)


@st.composite
def families(draw: st.DrawFn, openmetrics: bool) -> list[MetricFamily]:
    """Families with distinct ``m<i>_`` prefixes, so no sample name can belong to two."""
    suffixes = _OM_SUFFIXES if openmetrics else _TEXT_SUFFIXES
    out = []
    for i in range(draw(st.integers(0, 5))):
        mtype = draw(st.sampled_from(sorted(suffixes, key=lambda t: t.value)))
        name = f"m{i}_" + draw(st.from_regex(r"[a-zA-Z_:][a-zA-Z0-9_:]{0,8}", fullmatch=True))
        unit = draw(units) if openmetrics and draw(st.booleans()) else ""
        if unit:
            name += "_" + unit
        fam = MetricFamily(name, mtype, draw(helps), unit)
        for _ in range(draw(st.integers(0, 4))):
            sample_name = name + draw(st.sampled_from(suffixes[mtype]))
            fam.samples.append(ExpositionSample(sample_name, draw(label_dicts), draw(values), draw(timestamps)))
        out.append(fam)
    return out


def normal(fams: list[MetricFamily]) -> list[tuple]:
    """Comparable form: NaN made equal to NaN."""
    return [
        (f.name, f.type, f.help, f.unit,
         [(s.name, s.labels, "NaN" if math.isnan(s.value) else s.value, s.timestamp_ms) for s in f.samples])
        for f in fams
    ]


# -- properties -------------------------------------------------------------------------


@given(families(openmetrics=False))
def test_text_format_round_trips(fams):
    assert normal(parse_text(render_text(fams))) == normal(fams)


@given(families(openmetrics=True), st.lists(st.booleans(), max_size=30))
def test_openmetrics_round_trips_and_ignores_exemplars(fams, exemplars):
    page = render_openmetrics(fams, exemplars)
    assert normal(parse(page.encode(), "application/openmetrics-text; version=1.0.0")) == normal(fams)


def _mutate(page: str, edits: list[tuple[int, int, str]]) -> str:
    for pos, cut, insert in edits:
        pos %= len(page) + 1
        page = page[:pos] + insert + page[pos + cut:]
    return page


EDITS = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 3), st.text(max_size=3)), max_size=4)
NOISE = st.text(alphabet=st.sampled_from(list('abc_:{}="\\, \t\n#+-.0123456789eEInfNa\r\x00é')), max_size=80)


@given(families(openmetrics=False), EDITS, NOISE)
def test_text_fuzz_raises_only_validation_errors(fams, edits, noise):
    for page in (_mutate(render_text(fams), edits), noise):
        try:
            parse_text(page)
        except ValidationError:
            pass


@given(families(openmetrics=True), EDITS, NOISE)
def test_openmetrics_fuzz_raises_only_validation_errors(fams, edits, noise):
    for page in (_mutate(render_openmetrics(fams), edits), noise + "\n# EOF\n", noise):
        try:
            parse_openmetrics(page)
        except ValidationError:
            pass


@given(st.binary(max_size=64))
def test_bytes_that_are_not_utf8_are_a_validation_error(data):
    try:
        parse(data, "text/plain")
    except ValidationError:
        pass


# -- examples ---------------------------------------------------------------------------

TEXT_PAGE = r"""
# A free comment
# HELP http_requests_total The total number of HTTP requests.\nSecond line \\ done
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{ method = "post" , code="400", } 3 1395066363000

msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9
metric_without_timestamp_and_labels 12.47
something_weird{problem="division by zero"} +Inf -3982045
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.5"} NaN
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
"""


def test_text_page_from_the_format_documentation():
    fams = {f.name: f for f in parse_text(TEXT_PAGE)}
    req = fams["http_requests_total"]
    assert req.type is MetricType.COUNTER
    assert req.help == "The total number of HTTP requests.\nSecond line \\ done"
    assert req.samples[1] == ExpositionSample("http_requests_total", {"method": "post", "code": "400"}, 3.0, 1395066363000)
    assert fams["msdos_file_access_time_seconds"].samples[0].labels == {
        "path": "C:\\DIR\\FILE.TXT", "error": 'Cannot find file:\n"FILE.TXT"'}
    assert fams["something_weird"].samples[0].value == math.inf
    assert fams["something_weird"].samples[0].timestamp_ms == -3982045
    assert fams["metric_without_timestamp_and_labels"].type is MetricType.UNKNOWN
    hist = fams["http_request_duration_seconds"]
    assert [s.name for s in hist.samples][-2:] == ["http_request_duration_seconds_sum", "http_request_duration_seconds_count"]
    summary = fams["rpc_duration_seconds"]
    assert summary.type is MetricType.SUMMARY and len(summary.samples) == 3 and math.isnan(summary.samples[0].value)


OM_PAGE = """# TYPE acme_http_router_request_seconds summary
# UNIT acme_http_router_request_seconds seconds
# HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.
acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32
acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0
acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1605281325.0
# TYPE go_goroutines gauge
go_goroutines 69 1520879607.789
# TYPE process_cpu counter
process_cpu_total 4.20072246e+06 # {trace_id="KOO5S4vxi0o"} 0.67
# TYPE build info
build_info{version="1.2",revision="abc"} 1
# TYPE feature stateset
feature{feature="a"} 1
feature{feature="b"} 0
# TYPE queue gaugehistogram
queue_bucket{le="+Inf"} 3
queue_gcount 3
queue_gsum 7
# EOF
"""


def test_openmetrics_page():
    fams = {f.name: f for f in parse_openmetrics(OM_PAGE)}
    acme = fams["acme_http_router_request_seconds"]
    assert (acme.type, acme.unit, len(acme.samples)) == (MetricType.SUMMARY, "seconds", 3)
    assert fams["go_goroutines"].samples[0].timestamp_ms == 1520879607789
    assert fams["process_cpu"].samples[0].value == 4.20072246e6
    assert [f.type for f in fams.values()][-3:] == [MetricType.INFO, MetricType.STATESET, MetricType.GAUGE_HISTOGRAM]


@pytest.mark.parametrize("page, message", [
    ("a 1\n", "must end with '# EOF'"),
    ("a 1\n# EOF\nb 2\n", "must end with '# EOF'"),
    ("a 1\n\n# EOF\n", "empty lines"),
    ("# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n# EOF\n", "not together"),
    ("# TYPE a gauge\n# TYPE a counter\n# EOF\n", "second TYPE"),
    ("# TYPE a_seconds gauge\n# UNIT a_seconds bytes\n# EOF\n", "not a suffix"),
    ("# TYPE a histogram\n# TYPE a_bucket gauge\n# EOF\n", "clashes"),
    ("# TYPE a untyped\n# EOF\n", "unknown type"),
    ("# TYPE a counter\na 1\n# EOF\n", "appears twice"),  # a counter's sample is a_total
    ("a{b=\"c} 1\n# EOF\n", "unterminated"),
    ("a 1 12x\n# EOF\n", "invalid timestamp"),
])
def test_openmetrics_errors_name_the_line(page, message):
    with pytest.raises(ValidationError, match=message) as info:
        parse_openmetrics(page)
    assert info.value.field == "body"


@pytest.mark.parametrize("page, message", [
    ("a{b=\"c\",b=\"d\"} 1", "given twice"),
    ("a 1_000", "invalid value"),
    ("a{1b=\"c\"} 1", "label name"),
    ("a 1 1.5", "invalid timestamp"),
    ("a 1 2 3", "at most a timestamp"),
    ("a1", "expected a space"),
    ("a 1\n# TYPE a gauge", "after its samples"),
    ("# TYPE a gauge\n# TYPE a gauge", "second TYPE"),
    ("# TYPE a gaugehistogram", "unknown type"),
    ("{a=\"b\"} 1", "expected a metric name"),
])
def test_text_errors_name_the_line_and_column(page, message):
    with pytest.raises(ValidationError, match=message) as info:
        parse_text(page)
    assert info.value.message.startswith("line ")


def test_content_type_picks_the_format():
    assert is_openmetrics("application/openmetrics-text; version=1.0.0; charset=utf-8")
    assert not is_openmetrics("text/plain; version=0.0.4")
    assert not is_openmetrics(None)
    assert parse(b"a 1\n", "text/plain")[0].samples[0].value == 1.0
