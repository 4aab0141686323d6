"""One Prometheus and one engine of ours for the whole differential run, on the same data."""

from __future__ import annotations

import asyncio

import pytest

from adapters.memory.samples import MemorySampleStore
from services.promql.engine import PromQLEngine
from tests.integration.promql.dataset import SERIES
from tests.integration.promql.harness import Engines, load_store
from tests.support.prometheus_server import PrometheusServer


@pytest.fixture(scope="session")
def engines(tmp_path_factory) -> Engines:
    loop = asyncio.new_event_loop()
    store = MemorySampleStore()
    loop.run_until_complete(load_store(store, SERIES))
    ours = PromQLEngine(store)
    with PrometheusServer(tmp_path_factory.mktemp("prometheus")) as prometheus:
        prometheus.remote_write([(s.all_labels, s.timestamps, s.values) for s in SERIES])
        yield Engines(prometheus, ours, loop)
    ours.close()
    loop.close()
