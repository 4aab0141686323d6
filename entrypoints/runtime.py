"""The embedded runtime: the API process also runs the bus consumers (writer,
evaluator, alert pipeline) when the bus is in-process, and optionally the local agent."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from adapters.agent.sender import IngestSender, run_agent
from adapters.http.app import create_app
from adapters.system.host import HostCollector
from domain.identity.permissions import ApiKeyScope
from entrypoints.container import Container, close_adapters
from entrypoints.settings import Settings

log = logging.getLogger("observer_eye")


def write_secret(path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")


def read_secret(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


def admin_password(settings: Settings) -> str:
    """The generated admin password in the data directory (made on first use)."""
    password = read_secret(settings.admin_password_file)
    if password is None:
        password = secrets.token_urlsafe(18)
        write_secret(settings.admin_password_file, password)
    return password


async def bootstrap_identity(container: Container, *, with_agent: bool) -> str | None:
    """First run and every start: the tenant, its admin ``admin`` (password in
    ``var/admin-password``), a valid operator admin key in ``var/api-key`` and, for the
    host agent, an ingest-only key of its own in ``var/agent-key``. Returns the agent's key."""
    settings, tenants = container.settings(), container.tenants()
    if await tenants.bootstrap_tenant(settings.tenant):
        await tenants.bootstrap_admin(settings.tenant, admin_password(settings))
        log.warning("created the admin user 'admin' of tenant %r; the password is in %s", settings.tenant,
                    settings.admin_password_file)
    keys = [(settings.api_key_file, "operator admin key", ApiKeyScope.ADMIN, "admin")]
    if with_agent:
        keys.append((settings.agent_key_file, "host agent", ApiKeyScope.INGEST, None))
    for path, name, scope, owner in keys:
        fresh = await tenants.ensure_key(settings.tenant, read_secret(path), name=name, scopes=[scope],
                                         owner_username=owner)
        if fresh:
            write_secret(path, fresh)
            log.warning("wrote a new %s for tenant %r to %s (expires in 90 days; renewed at start)", name,
                        settings.tenant, path)
    return read_secret(settings.agent_key_file) if with_agent else None


def build_app(container: Container, *, with_agent: bool | None = None) -> FastAPI:
    settings = container.settings()
    run_agent_here = settings.agent if with_agent is None else with_agent

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        agent_key = await bootstrap_identity(container, with_agent=run_agent_here)
        if settings.maintenance_windows:  # the setting of earlier releases seeds the resources, once per tenant
            await container.maintenance_windows().seed(settings.tenant, settings.maintenance_windows,
                                                       span_ms=settings.max_maintenance_span_s * 1000)
        if settings.bus == "kafka":
            await container.bus().start()  # fail fast if the broker is not there; creates the topics
        # The outbox relay: incident events to the live feed, the calls the pipeline left
        # for the incidents' workflows (any process may run one; the outbox leases its messages).
        tasks.append(asyncio.create_task(container.outbox_relay().run(stop), name="outbox-relay"))
        # Configuration changed through the API (any process) reloads what this one cached.
        tasks.append(asyncio.create_task(container.config_watcher().run(stop), name="config-changes"))
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
            # Nor the on-call hand-off workflow: a loop here tells people (workflows/oncall.py).
            tasks.append(asyncio.create_task(container.oncall_handoffs().run(container.clock(), stop),
                                             name="oncall-handoffs"))
        app.state.background = tasks
        if run_agent_here and agent_key:
            sender = IngestSender(settings.url, agent_key)
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
