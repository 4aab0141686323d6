"""A small PromQL grammar for hypothesis: selectors over the differential dataset's
series (tests/integration/promql/dataset.py), range
functions over selectors and subqueries, instant functions, aggregations and binary
operators with every matching modifier, nested a few levels deep.

``topk``/``bottomk`` are left out on purpose: among equal values Prometheus' choice
depends on its hash maps' order in range queries, so two correct engines may differ;
the corpus covers them on data without such ties.
"""

from __future__ import annotations

from hypothesis import strategies as st

NAMES = {
    "http_requests_total": ("job", "instance", "code"),
    "node_temperature_celsius": ("instance", "zone"),
    "node_cpu_seconds_total": ("cpu", "mode", "instance"),
    "request_duration_seconds_bucket": ("job", "le"),
    "irregular_gauge": ("source",),
    "const_metric": ("id", "group"),
    "flappy_up": ("instance",),
    "path_requests_total": ("path", "method", "job"),
}
VALUES = {
    "job": ("api", "web"), "instance": ("i1", "i2", "i3", "f1"), "code": ("200", "500"), "zone": ("a", "b", "special"),
    "cpu": ("0", "1"), "mode": ("idle", "user"), "le": ("0.1", "1", "+Inf"), "source": ("x",), "id": ("a", "c"),
    "group": ("g1", "g2"), "path": ("/healthz", "/api/v1/users"), "method": ("GET", "POST"),
}
LABELS = sorted({label for labels in NAMES.values() for label in labels} | {"le"})
DURATIONS = ("30s", "1m", "2m", "5m", "10m")
RANGE_FUNCTIONS = (
    "rate", "irate", "increase", "delta", "idelta", "changes", "resets", "deriv", "avg_over_time", "min_over_time",
    "max_over_time", "sum_over_time", "count_over_time", "stddev_over_time", "stdvar_over_time", "last_over_time",
    "present_over_time", "absent_over_time",
)
INSTANT_FUNCTIONS = ("abs", "ceil", "floor", "sqrt", "ln", "exp", "sgn", "round", "timestamp", "sort", "sort_desc",
                     "hour", "minute", "sin", "atan")
AGGREGATIONS = ("sum", "avg", "min", "max", "count", "stddev", "stdvar", "group")
ARITHMETIC = ("+", "-", "*", "/", "%", "^", "atan2")
COMPARISONS = ("==", "!=", ">", "<", ">=", "<=")


@st.composite
def selector(draw) -> str:
    name = draw(st.sampled_from(sorted(NAMES)))
    matchers = []
    for label in draw(st.lists(st.sampled_from(NAMES[name]), max_size=2, unique=True)):
        op = draw(st.sampled_from(("=", "!=", "=~", "!~")))
        value = draw(st.sampled_from(VALUES[label]))
        if op in ("=~", "!~"):
            value = draw(st.sampled_from((value, value + "|" + VALUES[label][0], ".*", value[:1] + ".*")))
        matchers.append(f'{label}{op}"{value}"')
    text = name + ("{" + ", ".join(matchers) + "}" if matchers else "")
    return text + draw(st.sampled_from(("", "", "", " offset 1m", " offset 5m", " @ 1700003000")))


def labels_clause(draw) -> str:
    return "(" + ", ".join(draw(st.lists(st.sampled_from(LABELS), max_size=2, unique=True))) + ")"


@st.composite
def range_vector(draw, vectors) -> str:
    if draw(st.booleans()):
        sel = draw(selector())
        base, _, modifier = sel.partition(" ")
        return f"{base}[{draw(st.sampled_from(DURATIONS))}]" + (f" {modifier}" if modifier else "")
    inner = draw(vectors)
    step = draw(st.sampled_from(("", "30s", "1m", "45s")))
    return f"({inner})[{draw(st.sampled_from(('5m', '10m')))}:{step}]"


def scalars() -> st.SearchStrategy[str]:
    return st.sampled_from(("0", "1", "2", "-3", "0.5", "100", "time()", "NaN", "Inf"))


def expressions(max_leaves: int = 6) -> st.SearchStrategy[str]:
    def extend(vectors: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        @st.composite
        def node(draw) -> str:
            kind = draw(st.sampled_from(("range", "instant", "aggregate", "arith", "compare", "set", "label", "scalar_op")))
            if kind == "range":
                return f"{draw(st.sampled_from(RANGE_FUNCTIONS))}({draw(range_vector(vectors))})"
            if kind == "instant":
                return f"{draw(st.sampled_from(INSTANT_FUNCTIONS))}({draw(vectors)})"
            if kind == "aggregate":
                op = draw(st.sampled_from(AGGREGATIONS + ("quantile", "count_values")))
                grouping = draw(st.sampled_from(("", "by", "without")))
                clause = f" {grouping} {labels_clause(draw)}" if grouping else ""
                param = {"quantile": f"{draw(st.sampled_from(('0', '0.5', '0.9', '1')))}, ", "count_values": '"v", '}.get(op, "")
                return f"{op}{clause} ({param}{draw(vectors)})"
            if kind in ("arith", "compare"):
                op = draw(st.sampled_from(ARITHMETIC if kind == "arith" else COMPARISONS))
                bool_ = " bool" if kind == "compare" and draw(st.booleans()) else ""
                lhs, rhs = draw(vectors), draw(vectors)
                matching = draw(st.sampled_from(("", "", f" on{labels_clause(draw)}", f" ignoring{labels_clause(draw)}")))
                group = ""
                if matching and draw(st.booleans()):
                    group = f" group_{draw(st.sampled_from(('left', 'right')))}{labels_clause(draw)}"
                return f"({lhs}) {op}{bool_}{matching}{group} ({rhs})"
            if kind == "set":
                op = draw(st.sampled_from(("and", "or", "unless")))
                matching = draw(st.sampled_from(("", f" on{labels_clause(draw)}", f" ignoring{labels_clause(draw)}")))
                return f"({draw(vectors)}) {op}{matching} ({draw(vectors)})"
            if kind == "label":
                label = draw(st.sampled_from(LABELS))
                return f'label_replace({draw(vectors)}, "dst", "$1-x", "{label}", "(.*)")'
            op = draw(st.sampled_from(ARITHMETIC + COMPARISONS))
            bool_ = " bool" if op in COMPARISONS and draw(st.booleans()) else ""
            return f"({draw(vectors)}) {op}{bool_} {draw(scalars())}" if draw(st.booleans()) else \
                f"{draw(scalars())} {op}{bool_} ({draw(vectors)})"

        return node()

    return st.recursive(selector(), extend, max_leaves=max_leaves)
