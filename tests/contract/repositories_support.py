"""The unit-of-work fixture and entity builders shared by the repositories contract
(test_unit_of_work.py and test_repositories.py).

To cover a new adapter, append one async context manager factory to RUNNERS: it yields
a runner over empty tables and cleans up after the test.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest

from adapters.memory.repositories import MemoryUnitOfWorkRunner
from domain.alerts.rules import Comparison, ThresholdRule
from domain.alerts.silences import Silence
from domain.incidents.incident import Incident, Severity
from domain.metrics.matchers import Matcher
from ports.repositories import UnitOfWorkRunner
from tests.contract.django_support import django_postgres_runner, django_sqlite_runner

T0 = 1_700_000_000_000


@asynccontextmanager
async def memory_runner():
    yield MemoryUnitOfWorkRunner()


RUNNERS = [
    pytest.param(memory_runner, id="memory"),
    pytest.param(django_sqlite_runner, id="django-sqlite"),
    pytest.param(django_postgres_runner, id="django-postgres"),
]


@pytest.fixture(params=RUNNERS)
async def uow(request) -> UnitOfWorkRunner:
    async with request.param() as runner:
        yield runner


def incident(id="inc-1", tenant="acme", dedup_key="grp-1", at=T0) -> Incident:
    return Incident.open(id, tenant, "disk full", Severity.SEV2, at, alerts=("fp-1",), dedup_key=dedup_key)


def rule(id="r-1", tenant="acme", name="HighCpu") -> ThresholdRule:
    return ThresholdRule(
        id=id, tenant=tenant, name=name, selector='cpu_usage{host="a"}', for_ms=60_000,
        aggregation="avg", window_ms=300_000, comparison=Comparison.GT, threshold=0.9,
    )


def silence(id="s-1", tenant="acme") -> Silence:
    return Silence(id, tenant, (Matcher.of("alertname", "=", "HighCpu"),), T0, T0 + 3_600_000, "ops", "deploy")


class Boom(Exception):
    pass


async def add_incident(uow, inc: Incident) -> None:
    await uow.run(lambda u: u.incidents.add(inc))
