"""The embedded runtime: the API process also runs the bus consumers (writer,
evaluator, alert pipeline) when the bus is in-process, and optionally the local agent."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from adapters.agent.sender import IngestSender, run_agent
from adapters.http.app import create_app
from adapters.system.host import HostCollector
from entrypoints.container import Container, close_adapters

log = logging.getLogger("observer_eye")


def write_secret(path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")


def build_app(container: Container, *, with_agent: bool | None = None) -> FastAPI:
    settings = container.settings()
    run_agent_here = settings.agent if with_agent is None else with_agent

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        boot = await container.identity().bootstrap(settings.tenant)
        if boot.api_key:
            write_secret(settings.api_key_file, boot.api_key)
            log.warning("created an admin API key for tenant %r in %s", boot.tenant, settings.api_key_file)
        if settings.bus == "kafka":
            await container.bus().start()  # fail fast if the broker is not there; creates the topics
        # The in-process bus only reaches consumers in this process; with Kafka they run
        # as `observer-eye consume --group ...` processes.
        if settings.bus == "memory":
            tasks += [
                asyncio.create_task(container.writer().run(stop), name="writer"),
                asyncio.create_task(container.evaluator().run(stop), name="evaluator"),
                asyncio.create_task(container.pipeline().run(stop), name="pipeline"),
                # PromQL rules write through ingest and publish alerts on this bus too
                # (with Kafka: `observer-eye rules run`, entrypoints/rules_cli.py).
                asyncio.create_task(container.rule_manager().run(stop), name="rules"),
            ]
            # The writer's store upkeep (retention, compaction) runs where the writer does
            # (with Kafka: in `observer-eye consume --group writer`).
            maintenance = container.sample_maintenance()
            if maintenance is not None:
                tasks.append(asyncio.create_task(maintenance.run(stop), name="sample-maintenance"))
            # Scrapes go to the in-process bus, so they run here as well (with Kafka:
            # `observer-eye scrape` processes, entrypoints/scrape.py).
            if settings.scrape_config is not None:
                tasks.append(asyncio.create_task(container.scraper().run(stop), name="scraper"))
        if settings.workflows == "temporal" and settings.temporal_worker_in_api:
            from entrypoints.temporal_worker import serve as serve_temporal

            tasks.append(asyncio.create_task(serve_temporal(container, stop), name="temporal-worker"))
        elif settings.workflows != "temporal":
            # Without Temporal no Schedule runs the compliance evaluation; a timer here
            # does (with Temporal, the worker keeps the Schedule: entrypoints/temporal_worker.py).
            tasks.append(asyncio.create_task(
                container.compliance().run(settings.tenant, settings.compliance_every_s, stop), name="compliance"))
        app.state.background = tasks
        if run_agent_here:
            key = settings.api_key_file.read_text().strip()
            sender = IngestSender(settings.url, key)
            collector = HostCollector()
            tasks.append(asyncio.create_task(run_agent(collector.collect, sender, settings.agent_interval_s, stop), name="agent"))
        try:
            yield
        finally:
            stop.set()
            await container.stream_hub().close()  # live clients are told 1001 (going away)
            try:
                await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)
            finally:
                await close_adapters(container)  # flushes the sample store's head even if a task hung

    app = create_app(container.api_services(), lifespan, frontend_dir=settings.frontend_build,
                     trust_forwarded_proto=settings.trust_forwarded_proto)

    async def background_running() -> None:
        dead = [t.get_name() for t in getattr(app.state, "background", []) if t.done()]
        if dead:
            raise RuntimeError(f"stopped: {', '.join(dead)}")

    container.api_services().readiness["background"] = background_running
    return app
