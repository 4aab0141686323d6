"""Tables of the PostgreSQL sample store, and their daily time partitions.

Why partitions by day on the chunk's start time: retention is then ``DROP TABLE`` of
whole days (no row-by-row delete, no bloat), and a range read touches only the days it
covers. Chunks never cross a compaction window (two hours), so they never cross a day.

* ``oe_series``: the catalogue (tenant, name, labels as JSONB for containment
  matching, kind, unit, first and last seen).
* ``oe_chunks_head``: chunks as the writer flushes them (small, recent).
* ``oe_chunks``: compacted chunks, one per series and window.
* ``oe_rollup_1m`` / ``oe_rollup_1h``: per-bucket min, max, sum, count, last; one row
  per series and window (1 m) or per series and day (1 h).
* ``oe_offsets``: the bus positions stored with each flush (the bus is the WAL).
"""

from __future__ import annotations

import psycopg

from adapters.postgres.head import DAY_MS

CHUNK_TABLES = ("oe_chunks_head", "oe_chunks")
ROLLUP_TABLES = ("oe_rollup_1m", "oe_rollup_1h")
PARTITIONED = CHUNK_TABLES + ROLLUP_TABLES

# Flushes hold this advisory lock shared; compaction takes it exclusively for an instant
# to learn which flush sequence numbers are committed (see compaction.py).
FLUSH_LOCK = 0x0E5A_F1C5
COMPACT_LOCK = 0x0E5A_C0C7
DDL_LOCK = 0x0E5A_DD1A

_DDL = """
CREATE TABLE IF NOT EXISTS oe_series (
    id bigint PRIMARY KEY,
    tenant text NOT NULL,
    name text NOT NULL,
    labels jsonb NOT NULL,
    kind text NOT NULL,
    unit text NOT NULL,
    first_seen bigint NOT NULL,
    last_seen bigint NOT NULL
) WITH (fillfactor = 50);  -- room for HOT updates of first/last seen (no index churn)
CREATE INDEX IF NOT EXISTS oe_series_tenant_name ON oe_series (tenant, name);
CREATE INDEX IF NOT EXISTS oe_series_labels ON oe_series USING gin (labels jsonb_path_ops);
CREATE TABLE IF NOT EXISTS oe_offsets (
    topic text NOT NULL,
    partition integer NOT NULL,
    next_offset bigint NOT NULL,
    PRIMARY KEY (topic, partition)
);
CREATE SEQUENCE IF NOT EXISTS oe_flush_seq;
CREATE TABLE IF NOT EXISTS oe_chunks_head (
    series_id bigint NOT NULL, start_ms bigint NOT NULL, end_ms bigint NOT NULL,
    n integer NOT NULL, seq bigint NOT NULL, data bytea NOT NULL
) PARTITION BY RANGE (start_ms);
CREATE INDEX IF NOT EXISTS oe_chunks_head_series ON oe_chunks_head (series_id, start_ms);
CREATE TABLE IF NOT EXISTS oe_chunks (
    series_id bigint NOT NULL, start_ms bigint NOT NULL, end_ms bigint NOT NULL,
    n integer NOT NULL, seq bigint NOT NULL, data bytea NOT NULL
) PARTITION BY RANGE (start_ms);
CREATE INDEX IF NOT EXISTS oe_chunks_series ON oe_chunks (series_id, start_ms);
CREATE TABLE IF NOT EXISTS oe_rollup_1m (
    series_id bigint NOT NULL, start_ms bigint NOT NULL, n integer NOT NULL, data bytea NOT NULL
) PARTITION BY RANGE (start_ms);
CREATE INDEX IF NOT EXISTS oe_rollup_1m_series ON oe_rollup_1m (series_id, start_ms);
CREATE TABLE IF NOT EXISTS oe_rollup_1h (
    series_id bigint NOT NULL, start_ms bigint NOT NULL, n integer NOT NULL, data bytea NOT NULL
) PARTITION BY RANGE (start_ms);
CREATE INDEX IF NOT EXISTS oe_rollup_1h_series ON oe_rollup_1h (series_id, start_ms);
"""


def partition_name(table: str, day: int) -> str:
    return f"{table}_d{day}" if day >= 0 else f"{table}_dm{-day}"


def day_of(name: str) -> int:
    suffix = name.rsplit("_d", 1)[1]
    return -int(suffix[1:]) if suffix.startswith("m") else int(suffix)


async def _schema_exists(conn: psycopg.AsyncConnection) -> bool:
    # The last object _DDL creates: if it is there, everything before it is too.
    cur = await conn.execute("SELECT to_regclass('oe_rollup_1h_series') IS NOT NULL")
    row = await cur.fetchone()
    return bool(row and row[0])


async def create_schema(conn: psycopg.AsyncConnection) -> None:
    """Create the tables once. An existing schema is left alone: even ``IF NOT EXISTS``
    DDL takes table locks, which deadlock against a writer flushing into those tables."""
    if await _schema_exists(conn):
        return
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_LOCK,))
        if not await _schema_exists(conn):
            await conn.execute(_DDL)


async def existing_days(conn: psycopg.AsyncConnection) -> dict[str, set[int]]:
    """Days that have a partition, per partitioned table."""
    cur = await conn.execute(
        "SELECT p.relname::text, c.relname::text FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
        "WHERE p.relname = ANY(%s)",
        (list(PARTITIONED),),
    )
    out: dict[str, set[int]] = {t: set() for t in PARTITIONED}
    for parent, child in await cur.fetchall():
        out[parent].add(day_of(child))
    return out


async def create_partitions(conn: psycopg.AsyncConnection, days: set[int]) -> None:
    """Create the partitions of ``days`` in every partitioned table (idempotent).

    Runs in its own short transaction: creating a partition locks the parent table,
    which must never be held across a flush or a read. Compressed chunk data is stored
    uncompressed by TOAST (``STORAGE EXTERNAL``): it is zstd already.
    """
    if not days:
        return
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_LOCK,))
        have = await existing_days(conn)
        for table in PARTITIONED:
            for day in sorted(days - have[table]):
                name = partition_name(table, day)
                await conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {table} "
                    f"FOR VALUES FROM ({day * DAY_MS}) TO ({(day + 1) * DAY_MS}) "
                    "WITH (toast_tuple_target = 8160)"
                )
                await conn.execute(f"ALTER TABLE {name} ALTER COLUMN data SET STORAGE EXTERNAL")


async def drop_partitions_before(conn: psycopg.AsyncConnection, cutoff_ms: int) -> list[str]:
    """Drop every partition that ends at or before ``cutoff_ms`` (retention)."""
    dropped = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_LOCK,))
        for table, days in (await existing_days(conn)).items():
            for day in sorted(days):
                if (day + 1) * DAY_MS <= cutoff_ms:
                    name = partition_name(table, day)
                    await conn.execute(f"DROP TABLE IF EXISTS {name}")
                    dropped.append(name)
        await conn.execute("DELETE FROM oe_series WHERE last_seen < %s", (cutoff_ms,))
    return dropped
