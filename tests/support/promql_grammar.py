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
ORDER_DEPENDENT = frozenset({"sum", "avg", "stddev", "stdvar", "quantile"})  # float folds over series
# What turns a last-bit difference into another answer (see ``expressions``).
STEP_SENSITIVE = frozenset({"ceil", "floor", "round", "sgn", "hour", "minute", "%", "rate", "irate", "increase",
                            "changes", "resets"} | set(("==", "!=", ">", "<", ">=", "<=")))
ARITHMETIC = ("+", "-", "*", "/", "%", "^", "atan2")
COMPARISONS = ("==", "!=", ">", "<", ">=", "<=")


MODIFIERS = ("", "", "", " offset 1m", " offset 5m", " @ 1700003000")


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
    return name + ("{" + ", ".join(matchers) + "}" if matchers else "")


def labels_clause(draw) -> str:
    return "(" + ", ".join(draw(st.lists(st.sampled_from(LABELS), max_size=2, unique=True))) + ")"


@st.composite
def range_vector(draw, vectors) -> tuple[str, bool]:
    if draw(st.booleans()):
        return f"{draw(selector())}[{draw(st.sampled_from(DURATIONS))}]{draw(st.sampled_from(MODIFIERS))}", True
    inner, exact = draw(vectors)
    step = draw(st.sampled_from(("", "30s", "1m", "45s")))
    return f"({inner})[{draw(st.sampled_from(('5m', '10m')))}:{step}]", exact


def scalars() -> st.SearchStrategy[str]:
    return st.sampled_from(("0", "1", "2", "-3", "0.5", "100", "time()", "NaN", "Inf"))


def expressions(max_leaves: int = 6) -> st.SearchStrategy[str]:
    """PromQL expressions whose answer Prometheus itself gives the same every time.

    In a range query Prometheus hands an aggregation the series of a computed vector in
    its hash map's order, so ``sum``/``avg``/``stddev``/``stdvar``/``quantile`` of one may
    differ in the last bit from run to run (avg(abs(x)) gave 8 answers in 8 runs). Such
    an *order-dependent* value is kept away from what turns a last-bit difference into
    a different answer (rounding, comparisons, ``%``, ``count_values``, counter resets
    and changes over a subquery, date parts): there the two engines could only agree by
    chance. Each node carries (text, order-independent)."""

    def extend(vectors: st.SearchStrategy[tuple[str, bool]]) -> st.SearchStrategy[tuple[str, bool]]:
        @st.composite
        def node(draw) -> tuple[str, bool]:
            kind = draw(st.sampled_from(("range", "instant", "aggregate", "arith", "compare", "set", "label", "scalar_op")))
            if kind == "range":
                arg, exact = draw(range_vector(vectors))
                functions = RANGE_FUNCTIONS if exact else tuple(f for f in RANGE_FUNCTIONS if f not in STEP_SENSITIVE)
                return f"{draw(st.sampled_from(functions))}({arg})", exact
            if kind == "instant":
                arg, exact = draw(vectors)
                functions = INSTANT_FUNCTIONS if exact else tuple(f for f in INSTANT_FUNCTIONS if f not in STEP_SENSITIVE)
                return f"{draw(st.sampled_from(functions))}({arg})", exact
            if kind == "aggregate":
                arg, exact = draw(vectors)
                ops = AGGREGATIONS + ("quantile",) + (("count_values",) if exact else ())
                op = draw(st.sampled_from(ops))
                grouping = draw(st.sampled_from(("", "by", "without")))
                clause = f" {grouping} {labels_clause(draw)}" if grouping else ""
                param = {"quantile": f"{draw(st.sampled_from(('0', '0.5', '0.9', '1')))}, ", "count_values": '"v", '}.get(op, "")
                return f"{op}{clause} ({param}{arg})", exact and op not in ORDER_DEPENDENT
            (lhs, lexact), (rhs, rexact) = draw(vectors), draw(vectors)
            exact = lexact and rexact
            if kind in ("arith", "compare"):
                if kind == "compare" and not exact:
                    kind = "arith"
                ops = ARITHMETIC if kind == "arith" else COMPARISONS
                op = draw(st.sampled_from(ops if exact else tuple(o for o in ops if o not in STEP_SENSITIVE)))
                bool_ = " bool" if kind == "compare" and draw(st.booleans()) else ""
                matching = draw(st.sampled_from(("", "", f" on{labels_clause(draw)}", f" ignoring{labels_clause(draw)}")))
                group = ""
                if matching and draw(st.booleans()):
                    group = f" group_{draw(st.sampled_from(('left', 'right')))}{labels_clause(draw)}"
                return f"({lhs}) {op}{bool_}{matching}{group} ({rhs})", exact
            if kind == "set":
                op = draw(st.sampled_from(("and", "or", "unless")))
                matching = draw(st.sampled_from(("", f" on{labels_clause(draw)}", f" ignoring{labels_clause(draw)}")))
                return f"({lhs}) {op}{matching} ({rhs})", exact
            if kind == "label":
                label = draw(st.sampled_from(LABELS))
                return f'label_replace({lhs}, "dst", "$1-x", "{label}", "(.*)")', lexact
            ops = ARITHMETIC + COMPARISONS if lexact else tuple(o for o in ARITHMETIC if o not in STEP_SENSITIVE)
            op = draw(st.sampled_from(ops))
            bool_ = " bool" if op in COMPARISONS and draw(st.booleans()) else ""
            text = f"({lhs}) {op}{bool_} {draw(scalars())}" if draw(st.booleans()) else f"{draw(scalars())} {op}{bool_} ({lhs})"
            return text, lexact

        return node()

    leaves = st.tuples(selector(), st.sampled_from(MODIFIERS)).map(lambda parts: (parts[0] + parts[1], True))
    return st.recursive(leaves, extend, max_leaves=max_leaves).map(lambda node: node[0])
