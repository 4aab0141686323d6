"""A message no consumer can read does not stall its partition nor lose what follows it.

On the in-process bus and on Kafka (the tansu broker), an undecodable message is put on
each consumed topic between two good ones, before the consumer groups start: the
writer and the evaluator (telemetry) and the alert pipeline (alerts) each try it
``consumer_max_tries`` times, publish it to the dead-letter topic with the error, and
go on: the good message after it is stored, evaluated (its alert fires and opens an
incident) and taken through the pipeline, and every group commits past the bad one.
The dead letters are listed with the group and the error, and one is replayed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from domain.alerts.rules import Comparison, ThresholdRule
from domain.alerts.state import AlertState, AlertTransition
from domain.metrics.aggregations import Aggregation
from domain.metrics.labels import LabelSet
from domain.metrics.query import Selector
from entrypoints.container import Container, build_container, close_adapters
from entrypoints.settings import Settings
from ports.bus import ALERTS_TOPIC, DEAD_LETTERS_TOPIC, TELEMETRY_TOPIC
from services.codec import encode_transition
from services.evaluator import EVALUATOR_GROUP
from services.alerting import PIPELINE_GROUP
from services.ingest import RawSeries
from services.writer import WRITER_GROUP
from tests.support.tansu import Tansu

TENANT = "default"
POISON = b"\x00\xffnot a message of any format"
NOW_MS = int(time.time() * 1000)


def settings(tmp_path: Path, bus: str, bootstrap: str = "") -> Settings:
    extra = {"kafka_bootstrap": bootstrap, "kafka_idempotence": False, "kafka_session_timeout_ms": 2000} if bootstrap else {}
    return Settings(data_dir=tmp_path, agent=False, bus=bus, consumer_max_tries=2, evaluator_checkpoint_s=0.2,
                    pipeline_tick_s=0.1, outbox_poll_s=0.1, **extra)


async def memory_container(tmp_path: Path) -> AsyncIterator[Container]:
    container = build_container(settings(tmp_path, "memory"))
    yield container
    await close_adapters(container)


async def kafka_container(tmp_path: Path) -> AsyncIterator[Container]:
    with Tansu() as broker:
        container = build_container(settings(tmp_path, "kafka", broker.bootstrap))
        await container.bus().start()
        yield container
        await close_adapters(container)


@pytest.fixture(params=[pytest.param(memory_container, id="memory"),
                        pytest.param(kafka_container, id="kafka", marks=pytest.mark.integration)])
async def container(request, tmp_path: Path) -> AsyncIterator[Container]:
    async for c in request.param(tmp_path):
        yield c


def transition(n: int) -> bytes:
    labels = LabelSet.of({"alertname": "External", "n": str(n), "severity": "warning"})
    t = AlertTransition(f"ext-{n}", AlertState.PENDING, AlertState.FIRING, NOW_MS, labels, 1.0, TENANT, f"ext-{n}")
    return encode_transition(t, (("summary", f"external {n}"),))


async def wait_for(what: str, check, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s}s: {what}")
        await asyncio.sleep(0.1)


async def test_a_poison_message_is_dead_lettered_and_nothing_after_it_is_lost(container: Container) -> None:
    bus, uow, ingest = container.bus(), container.uow(), container.ingest()
    rule = ThresholdRule(id="probe-high", tenant=TENANT, name="ProbeHigh", selector=Selector.parse("probe"), for_ms=0,
                         aggregation=Aggregation.LAST, window_ms=60_000, comparison=Comparison.GT, threshold=50.0)
    await uow.run(lambda u: u.rules.add(rule))
    await ingest.ingest(TENANT, [RawSeries("probe", {"host": "a"}, [[NOW_MS - 2000, 1.0]])])
    [first] = await bus.read(TELEMETRY_TOPIC)
    await bus.publish(TELEMETRY_TOPIC, b"poison", POISON, partition=first.partition)
    await ingest.ingest(TENANT, [RawSeries("probe", {"host": "a"}, [[NOW_MS - 1000, 100.0]])])
    assert [m.partition for m in await bus.read(TELEMETRY_TOPIC)] == [first.partition] * 3  # good, bad, good
    await bus.publish(ALERTS_TOPIC, b"ext", transition(1))
    await bus.publish(ALERTS_TOPIC, b"ext", POISON)
    await bus.publish(ALERTS_TOPIC, b"ext", transition(2))

    stop = asyncio.Event()
    tasks = [asyncio.create_task(service.run(stop)) for service in
             (container.writer(), container.evaluator(), container.pipeline(), container.outbox_relay())]
    try:
        store = container.sample_store()

        async def stored() -> bool:
            found = await store.select(TENANT, Selector.parse("probe"), NOW_MS - 10_000, NOW_MS + 1)
            return sum(len(s.samples) for s in found) == 2

        async def incidents() -> set[str]:
            return {i.title for i in await container.incidents().list(TENANT)}

        async def caught_up() -> bool:
            lags = [await bus.lag(topic, group) for topic, group in
                    ((TELEMETRY_TOPIC, WRITER_GROUP), (TELEMETRY_TOPIC, EVALUATOR_GROUP), (ALERTS_TOPIC, PIPELINE_GROUP))]
            return lags == [0, 0, 0]

        await wait_for("both good samples stored", stored)
        await wait_for("the alert of the sample after the bad one fired, and both external alerts went through",
                       lambda: _has(incidents, {"ProbeHigh firing", "external 1", "external 2"}))
        await wait_for("every group committed past the bad message", caught_up)
        letters = await container.dead_letters().list()
        assert sorted((d.group, d.topic, d.tries) for d in letters) == [
            (EVALUATOR_GROUP, TELEMETRY_TOPIC, 2), (PIPELINE_GROUP, ALERTS_TOPIC, 2), (WRITER_GROUP, TELEMETRY_TOPIC, 2)]
        assert all(d.value == POISON and d.error for d in letters)
        assert {d.partition for d in letters if d.topic == TELEMETRY_TOPIC} == {first.partition}

        pipeline_letter = next(d for d in letters if d.group == PIPELINE_GROUP)
        replayed = await container.dead_letters().replay(pipeline_letter.id, "ops")
        assert replayed.replayed_by == "ops"
        # Still unreadable: the pipeline gives up on it again, under its new offset.
        await wait_for("the replayed message dead-lettered again",
                       lambda: _count(container, PIPELINE_GROUP, 2))
        listed = {d.id: d for d in await container.dead_letters().list()}
        assert listed[pipeline_letter.id].replayed_at_ms is not None
        assert len(await bus.read(DEAD_LETTERS_TOPIC)) == 5  # four letters and one replay mark
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)


async def _has(incidents, titles: set[str]) -> bool:
    return titles <= await incidents()


async def _count(container: Container, group: str, n: int) -> bool:
    return len(await container.dead_letters().list(group=group)) == n
