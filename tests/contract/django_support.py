"""Django on SQLite and on PostgreSQL for the repositories contract (and the Django
integration tests).

Django's settings are process-wide, so the first test that needs Django configures it
once for the whole session, with two database aliases migrated from empty:

* ``sqlite``: a file in a temporary directory;
* ``postgres``: a fresh database ``observer_eye_test_<random>`` created on the server
  of ``OBSERVER_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``),
  dropped when the test process exits.

Each test gets a runner over empty tables; its rows are deleted after the test. If
PostgreSQL cannot be reached the tests fail saying so: no adapter is skipped silently.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import secrets
import shutil
import tempfile
import threading
from contextlib import asynccontextmanager
from pathlib import Path

import psycopg
from psycopg import sql

PG_SERVER_URL = os.environ.get("OBSERVER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ALIASES = ("sqlite", "postgres")

_lock = threading.Lock()
_ready = False


def _with_database(server_url: str, name: str) -> str:
    base, _, query = server_url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


def create_database(prefix: str = "observer_eye_test") -> str:
    """Create an empty PostgreSQL database; return its URL."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(PG_SERVER_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        raise RuntimeError(
            f"PostgreSQL at {PG_SERVER_URL} is not reachable ({exc}); the Django contract and "
            "integration tests need it (set OBSERVER_TEST_POSTGRES_URL to use another server)"
        ) from exc
    return _with_database(PG_SERVER_URL, name)


def drop_database(url: str) -> None:
    name = url.partition("?")[0].rsplit("/", 1)[1]
    with psycopg.connect(PG_SERVER_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def ensure_django() -> None:
    """Configure Django once for this process with the ``sqlite`` and ``postgres`` aliases."""
    global _ready
    with _lock:
        if _ready:
            return
        from django.conf import settings
        from django.db import connections

        from adapters.django_orm import migrate, setup_django

        tmp = Path(tempfile.mkdtemp(prefix="oe-django-test-"))
        pg_url = create_database()

        def cleanup() -> None:
            try:
                drop_database(pg_url)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)

        atexit.register(cleanup)
        databases = {"sqlite": f"sqlite:///{tmp / 'contract.sqlite3'}", "postgres": pg_url}
        if settings.configured:
            setup_django(extra_databases=databases)
        else:
            setup_django(f"sqlite:///{tmp / 'default.sqlite3'}", extra_databases=databases, data_dir=tmp,
                         secret_key="test-only-" + secrets.token_hex(16))
        for alias in ALIASES:
            migrate(alias)
        connections.close_all()  # this thread's (the runners have their own)
        _ready = True


def flush(alias: str) -> None:
    """Delete every row of the Observer-Eye apps' tables on ``alias`` (sync code, run in a
    transaction: foreign keys are checked at commit, so the order does not matter)."""
    from django.apps import apps
    from django.db import connections

    from adapters.django_orm.config import CONTEXT_APPS

    conn = connections[alias]
    with conn.cursor() as cursor:
        for app in CONTEXT_APPS:
            for model in apps.get_app_config(f"oe_{app}").get_models():
                cursor.execute(f"DELETE FROM {conn.ops.quote_name(model._meta.db_table)}")


@asynccontextmanager
async def django_runner(alias: str, threads: int | None = None):
    await asyncio.to_thread(ensure_django)  # migrations block: never on the event loop
    from adapters.django_orm.unit_of_work import DjangoUnitOfWorkRunner

    runner = DjangoUnitOfWorkRunner(alias, threads=threads)
    try:
        yield runner
    finally:
        try:
            await runner.run(lambda _: flush(alias))
        finally:
            await runner.aclose()


def django_sqlite_runner():
    return django_runner("sqlite")


def django_postgres_runner():
    return django_runner("postgres")
