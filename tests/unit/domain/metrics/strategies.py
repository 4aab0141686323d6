"""Hypothesis strategies shared by the metrics tests."""

from __future__ import annotations

import math
import re

from hypothesis import strategies as st

from domain.metrics.labels import LabelSet
from domain.metrics.matchers import MatchOp, Matcher
from domain.metrics.samples import Sample

label_names = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,12}", fullmatch=True).filter(
    lambda n: not n.startswith("__")
)
metric_names = st.from_regex(r"[a-zA-Z_:][a-zA-Z0-9_:]{0,16}", fullmatch=True)
label_values = st.text(max_size=12)
label_dicts = st.dictionaries(label_names, label_values, max_size=8)
label_sets = label_dicts.map(LabelSet.of)

any_floats = st.floats(allow_nan=True, allow_infinity=True)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)

_REGEX_VALUES = st.one_of(
    st.text(max_size=8).map(re.escape),
    st.sampled_from(["", ".*", ".+", "a|b", "(?i)abc", "x[0-9]+", '[^"]*', "\\d{2,3}", "a\nb"]),
)


@st.composite
def matchers(draw: st.DrawFn, names: st.SearchStrategy[str] = label_names) -> Matcher:
    name = draw(names)
    op = draw(st.sampled_from(list(MatchOp)))
    value = draw(_REGEX_VALUES if op in (MatchOp.RE, MatchOp.NRE) else label_values)
    return Matcher.of(name, op, value)


def nan_equal(a: float, b: float) -> bool:
    """Equality where NaN equals NaN (and -0.0 equals 0.0)."""
    return (math.isnan(a) and math.isnan(b)) or a == b


def close(a: float, b: float, rel: float = 1e-9, abs_tol: float = 1e-300) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)


def samples_of(values: list[float], start: int = 0, step: int = 1000) -> list[Sample]:
    return [Sample(start + i * step, v) for i, v in enumerate(values)]
