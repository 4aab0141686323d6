"""Hypothesis writes further queries from a small grammar (``tests/support/promql_grammar.py``); each is asked
of our engine and of Prometheus, as an instant and as a range query, and the answers
must agree. A failing example is a bug to fix in the engine."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.promql.compare import differences
from tests.support.promql_grammar import expressions
from tests.integration.promql.harness import INSTANT_TIMES, RANGES

pytestmark = pytest.mark.integration


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(query=expressions(), t=st.sampled_from(INSTANT_TIMES), window=st.sampled_from(RANGES))
def test_generated_query_agrees_with_prometheus(engines, query, t, window):
    ordered = query.startswith(("sort(", "sort_desc("))
    problems = [f"instant @{t}: {d}" for d in differences(
        engines.ours_instant(query, t), engines.prometheus.query(query, t), ordered_by_value=ordered)]
    start, end, step = window
    problems += [f"range {start}..{end}/{step}: {d}" for d in differences(
        engines.ours_range(query, start, end, step), engines.prometheus.query_range(query, start, end, step))]
    assert not problems, f"{query}\n" + "\n".join(problems[:10])
