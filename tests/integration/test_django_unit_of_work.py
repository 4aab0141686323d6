"""What the Django unit of work guarantees beyond the repositories contract: connection
handling for long-running processes, real concurrency, savepoints, the composition root."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from domain.errors import Conflict
from domain.identity.tenants import Tenant
from tests.contract.django_support import PG_SERVER_URL, django_runner, ensure_django
from tests.contract.repositories_support import T0, add_incident, incident, rule

pytestmark = pytest.mark.integration


def backend_pid(u) -> int:
    from django.db import connections

    with connections[u.using].cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


async def test_a_connection_killed_between_units_of_work_is_replaced():
    """A database restart or an idle timeout kills connections under a long-running
    consumer; the next unit of work must get a fresh one, not fail."""
    async with django_runner("postgres", threads=1) as uow:
        first = await uow.run(backend_pid)
        with psycopg.connect(PG_SERVER_URL, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [first])
        await uow.run(lambda u: u.tenants.add(Tenant("acme", "Acme")))
        assert await uow.run(backend_pid) != first
        assert await uow.run(lambda u: u.tenants.get("acme")) == Tenant("acme", "Acme")


async def test_a_thread_reuses_its_connection_across_units_of_work():
    async with django_runner("postgres", threads=1) as uow:
        pids = {await uow.run(backend_pid) for _ in range(5)}
    assert len(pids) == 1  # no reconnect per unit of work (CONN_MAX_AGE)


async def test_concurrent_saves_never_lose_an_update():
    """Twenty writers race on one incident from eight threads: each either saves or gets
    Conflict, and the stored incident holds exactly the saved changes."""
    async with django_runner("postgres") as uow:
        await add_incident(uow, incident())

        def add_note(n: int):
            def work(u):
                inc = u.incidents.get("acme", "inc-1")
                inc.add_note(f"writer-{n}", "here", T0 + n)
                u.incidents.save(inc)
            return work

        results = await asyncio.gather(*(uow.run(add_note(n)) for n in range(20)), return_exceptions=True)
        assert all(r is None or isinstance(r, Conflict) for r in results), results
        saved = sum(r is None for r in results)
        stored = await uow.run(lambda u: u.incidents.get("acme", "inc-1"))
        assert saved >= 1
        assert stored.version == 1 + saved
        assert [e.kind for e in stored.timeline] == ["opened"] + ["note"] * saved


@pytest.mark.parametrize("alias", ["sqlite", "postgres"])
async def test_a_conflict_caught_inside_the_work_leaves_the_transaction_usable(alias):
    """Inserts run in a savepoint: a caller may catch Conflict (say, to mint another API
    key prefix) and carry on in the same unit of work, on PostgreSQL too."""
    async with django_runner(alias) as uow:
        await uow.run(lambda u: u.rules.add(rule("r-1")))

        def work(u):
            with pytest.raises(Conflict):
                u.rules.add(rule("r-1"))
            u.rules.add(rule("r-2"))

        await uow.run(work)
        assert sorted(r.id for r in await uow.run(lambda u: u.rules.list("acme"))) == ["r-1", "r-2"]


@pytest.mark.parametrize("alias", ["sqlite", "postgres"])
async def test_run_sync_serves_sync_callers(alias):
    from django.db import connections

    def sync_caller(uow):  # a thread of its own; it owns (and closes) its connection
        try:
            uow.run_sync(lambda u: u.tenants.add(Tenant("acme", "Acme")))
        finally:
            connections.close_all()

    async with django_runner(alias) as uow:
        await asyncio.to_thread(sync_caller, uow)
        assert [t.id for t in await uow.run(lambda u: u.tenants.list())] == ["acme"]


async def test_a_closed_runner_refuses_work():
    async with django_runner("sqlite") as uow:
        pass
    with pytest.raises(RuntimeError, match="closed"):
        await uow.run(lambda u: None)


def test_setup_django_refuses_a_second_default_database():
    ensure_django()
    from adapters.django_orm import setup_django

    with pytest.raises(RuntimeError, match="another default database"):
        setup_django("postgresql://postgres@127.0.0.1:5432/some_other_db")


async def test_the_composition_root_wires_the_django_runner(tmp_path):
    """``repository="django"`` gives the services a Django runner on the configured database."""
    await asyncio.to_thread(ensure_django)
    from django.conf import settings as django_settings

    from adapters.django_orm import migrate
    from adapters.django_orm.unit_of_work import DjangoUnitOfWorkRunner
    from entrypoints.container import build_container
    from entrypoints.settings import Settings

    default = django_settings.DATABASES["default"]
    assert default["ENGINE"].endswith("sqlite3"), "the test session's default database is SQLite"
    from django.db import connections

    def migrate_default() -> None:
        migrate("default")
        connections.close_all()

    await asyncio.to_thread(migrate_default)
    container = build_container(Settings(repository="django", database_url=f"sqlite:///{default['NAME']}",
                                         data_dir=tmp_path, agent=False))
    runner = container.uow()
    try:
        assert isinstance(runner, DjangoUnitOfWorkRunner) and runner.using == "default"
        await runner.run(lambda u: u.tenants.add(Tenant("acme", "Acme")))
        assert await runner.run(lambda u: u.tenants.get("acme")) == Tenant("acme", "Acme")
    finally:
        from tests.contract.django_support import flush

        await runner.run(lambda _: flush("default"))
        await runner.aclose()


async def test_the_composition_root_stores_postmortems_in_the_django_database(tmp_path):
    """With ``repository="django"`` a postmortem the Temporal worker drafts is read by the
    API process: two containers (two processes' roots) on one database see one document."""
    await asyncio.to_thread(ensure_django)
    from django.conf import settings as django_settings
    from django.db import connections

    from adapters.django_orm import migrate
    from adapters.django_orm.incidents.postmortems import DjangoPostmortemStore
    from adapters.memory.postmortems import MemoryPostmortemStore
    from entrypoints.container import build_container
    from entrypoints.settings import Settings
    from services.postmortem import DraftRequest

    def migrate_default() -> None:
        migrate("default")
        connections.close_all()

    await asyncio.to_thread(migrate_default)
    url = f"sqlite:///{django_settings.DATABASES['default']['NAME']}"
    worker, api = (build_container(Settings(repository="django", database_url=url, data_dir=tmp_path, agent=False))
                   for _ in range(2))
    assert isinstance(build_container(Settings(agent=False)).postmortem_store(), MemoryPostmortemStore)
    try:
        assert isinstance(worker.postmortem_store(), DjangoPostmortemStore)
        snapshot = {"id": "inc-1", "title": "disk full", "severity": "SEV2", "timeline": []}
        drafted = await worker.postmortems().draft(DraftRequest("acme", "inc-1", 1, snapshot, [], T0 + 1, T0))
        assert await api.postmortems().get("acme", drafted.id) == drafted
        published = await api.postmortems().publish("acme", drafted.id, "alice", T0 + 2)
        assert await worker.postmortem_store().for_incident("acme", "inc-1") == [published]
    finally:
        from tests.contract.django_support import flush

        await worker.uow().run(lambda _: flush("default"))
        for container in (worker, api):
            await container.uow().aclose()
