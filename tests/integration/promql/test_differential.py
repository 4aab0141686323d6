"""Differential tests: every query of the corpus, as instant queries at several times
and as range queries over several ranges and steps, answered by our engine and by a
real Prometheus 2.42 on the same data, must agree (tests/integration/promql/compare.py).
A disagreement is a bug in our engine, never a reason to drop the query."""

from __future__ import annotations

import pytest

from tests.integration.promql.compare import differences
from tests.integration.promql.corpus import CORPUS
from tests.integration.promql.harness import INSTANT_TIMES, RANGES

pytestmark = pytest.mark.integration


def _ordered(query: str) -> bool:
    return query.replace(" ", "").startswith(("sort(", "sort_desc("))


@pytest.mark.parametrize("query", CORPUS)
def test_query_agrees_with_prometheus(engines, query):
    problems = []
    for t in INSTANT_TIMES:
        diff = differences(engines.ours_instant(query, t), engines.prometheus.query(query, t), ordered_by_value=_ordered(query))
        problems += [f"instant @{t}: {d}" for d in diff]
    for start, end, step in RANGES:
        diff = differences(engines.ours_range(query, start, end, step), engines.prometheus.query_range(query, start, end, step))
        problems += [f"range {start}..{end}/{step}: {d}" for d in diff]
    assert not problems, "\n".join(problems[:20])
