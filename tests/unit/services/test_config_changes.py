"""Configuration changes reach every registered reloader through pub/sub."""

from __future__ import annotations

import asyncio

from adapters.memory.cache import MemoryPubSub
from services.config_changes import ConfigWatcher, announce


async def test_an_announced_change_reloads_that_kind_for_that_tenant() -> None:
    pubsub = MemoryPubSub()
    watcher = ConfigWatcher(pubsub)
    heard: list[tuple[str, str]] = []
    done = asyncio.Event()

    async def routing(tenant: str) -> None:
        heard.append(("routing", tenant))
        done.set()

    def failing(_: str) -> None:
        raise RuntimeError("a broken reloader must not keep the others stale")

    watcher.on("routing", failing)
    watcher.on("routing", routing)
    watcher.on("schedules", lambda tenant: heard.append(("schedules", tenant)))
    stop = asyncio.Event()
    task = asyncio.create_task(watcher.run(stop))
    await asyncio.sleep(0)  # let it subscribe
    await pubsub.publish("config", b"not json")
    await announce(pubsub, "acme", "routing")
    await asyncio.wait_for(done.wait(), 5)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert heard == [("routing", "acme")]
