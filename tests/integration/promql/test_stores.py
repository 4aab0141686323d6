"""The same differential comparison with our engine reading the SQLite and PostgreSQL
sample stores (the corpus' other tests read the in-memory one): every eighth corpus
query and those about staleness, at every time and range. The stores must hand the engine the same samples, the
staleness markers' bits included."""

from __future__ import annotations

import pytest

from services.promql import PromQLEngine
from tests.contract.samples_support import postgres_store, sqlite_store
from tests.integration.promql.compare import differences
from tests.integration.promql.corpus import CORPUS
from tests.integration.promql.dataset import SERIES
from tests.integration.promql.harness import INSTANT_TIMES, RANGES, Engines, load_store

pytestmark = pytest.mark.integration

STALENESS = ["flappy_up", "count_over_time(flappy_up[10m])", "last_over_time(flappy_up[30m])", "absent(flappy_up)"]
SAMPLE = CORPUS[::8] + [q for q in STALENESS if q not in CORPUS[::8]]


@pytest.fixture(scope="module", params=[sqlite_store, postgres_store], ids=["sqlite", "postgres"])
def store_engines(request, engines) -> Engines:
    loop = engines.loop
    context = request.param()
    store = loop.run_until_complete(context.__aenter__())
    loop.run_until_complete(load_store(store, SERIES))
    ours = PromQLEngine(store)
    yield Engines(engines.prometheus, ours, loop)
    ours.close()
    loop.run_until_complete(context.__aexit__(None, None, None))


@pytest.mark.parametrize("query", SAMPLE)
def test_query_on_this_store_agrees_with_prometheus(store_engines, query):
    problems = []
    for t in INSTANT_TIMES:
        problems += [f"instant @{t}: {d}" for d in differences(
            store_engines.ours_instant(query, t), store_engines.prometheus.query(query, t))]
    for start, end, step in RANGES:
        problems += [f"range {start}..{end}/{step}: {d}" for d in differences(
            store_engines.ours_range(query, start, end, step), store_engines.prometheus.query_range(query, start, end, step))]
    assert not problems, "\n".join(problems[:20])
