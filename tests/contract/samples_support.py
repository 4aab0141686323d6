"""Sample-store factories for the contract suite and the integration tests.

PostgreSQL: one fresh database ``observer_eye_samples_test_<random>`` per test process
on the server of ``OBSERVER_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``), dropped when the process exits;
each store starts on emptied tables. If the server cannot be reached the tests FAIL
with a message naming it: no adapter is skipped silently.
"""

from __future__ import annotations

import atexit
import os
import secrets
import tempfile
import threading
from contextlib import asynccontextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from adapters.postgres import PostgresSampleStore
from adapters.sqlite_store import SqliteSampleStore

PG_SERVER_URL = os.environ.get("OBSERVER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TABLES = "oe_series, oe_offsets, oe_chunks_head, oe_chunks, oe_rollup_1m, oe_rollup_1h"

_lock = threading.Lock()
_url: str | None = None


def _server() -> psycopg.Connection:
    try:
        return psycopg.connect(PG_SERVER_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise RuntimeError(
            f"PostgreSQL at {PG_SERVER_URL} is not reachable ({exc}); the PostgreSQL sample store "
            "tests need it (start it, or set OBSERVER_TEST_POSTGRES_URL to another server)"
        ) from exc


def samples_database() -> str:
    """The URL of this process' test database, created on first use."""
    global _url
    with _lock:
        if _url is None:
            name = f"observer_eye_samples_test_{secrets.token_hex(4)}"
            with _server() as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            base, _, query = PG_SERVER_URL.partition("?")
            _url = f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")
            atexit.register(_drop, name)
        return _url


def _drop(name: str) -> None:
    with _server() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def empty_tables(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {TABLES}")


@asynccontextmanager
async def postgres_store(**options):
    url = samples_database()
    store = PostgresSampleStore(url, **options)
    await store.flush()  # opens it: schema and partitions exist from here on
    empty_tables(url)
    try:
        yield store
    finally:
        await store.close()


@asynccontextmanager
async def sqlite_store():
    with tempfile.TemporaryDirectory(prefix="oe-samples-") as tmp:
        store = SqliteSampleStore(Path(tmp) / "samples.db")
        try:
            yield store
        finally:
            await store.close()
