"""The series catalogue: saved with each flush, searched by every read.

Why it lives apart from the chunks: a selector is answered here first (name equality
and JSONB label containment, both indexed), so chunk reads only ever name series ids.
First and last seen are widened in the flush's own transaction, so they always agree
with the chunks that are committed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import psycopg
from psycopg.types.json import Jsonb

from adapters.postgres.head import SeriesMeta
from adapters.postgres.reading import selector_sql
from domain.metrics.kinds import MetricKind
from domain.metrics.labels import LabelSet
from domain.metrics.query import Selector
from domain.metrics.series import SeriesKey
from ports.samples import SeriesInfo


async def save(conn: psycopg.AsyncConnection, meta: dict[int, SeriesMeta], seen: dict[int, tuple[int, int]],
               cached: Callable[[int], SeriesMeta | None]) -> set[int]:
    """Widen first/last seen of known series; upsert the series of ``meta`` (new to the
    writer's cache) and any known one that is missing (retention removed it meanwhile).
    Returns the ids upserted."""
    new = {sid for sid in meta if sid in seen}
    known = [sid for sid in seen if sid not in new]
    if known:
        cur = await conn.execute(
            "UPDATE oe_series s SET first_seen = LEAST(s.first_seen, u.f), last_seen = GREATEST(s.last_seen, u.l) "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS u(id, f, l) WHERE s.id = u.id RETURNING s.id",
            (known, [seen[s][0] for s in known], [seen[s][1] for s in known]),
        )
        new |= set(known) - {r[0] for r in await cur.fetchall()}
    if new:
        found = [(sid, meta.get(sid) or cached(sid)) for sid in new]
        # A series the cache forgot is not re-inserted here; it is new again next time.
        ids = [sid for sid, m in found if m is not None]
        metas = [m for _, m in found if m is not None]
        await conn.execute(
            "INSERT INTO oe_series SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::jsonb[], "
            "%s::text[], %s::text[], %s::bigint[], %s::bigint[]) ON CONFLICT (id) DO UPDATE SET "
            "first_seen = LEAST(oe_series.first_seen, excluded.first_seen), "
            "last_seen = GREATEST(oe_series.last_seen, excluded.last_seen)",
            (
                ids, [m.key.tenant for m in metas], [m.key.name for m in metas],
                [Jsonb(m.key.labels.as_dict()) for m in metas], [m.kind.value for m in metas],
                [m.unit for m in metas], [seen[s][0] for s in ids], [seen[s][1] for s in ids],
            ),
        )
    return new


async def find(
    conn: psycopg.AsyncConnection, tenant: str, selectors: Sequence[Selector], start_ms: int | None, end_ms: int | None
) -> dict[int, SeriesInfo]:
    """Series of ``tenant`` matching any selector (all if none), seen within the range."""
    frags, params = [], [tenant]
    for sel in selectors:
        frag, p = selector_sql(sel)
        frags.append(f"({frag})")
        params += p
    where = "tenant = %s" + (f" AND ({' OR '.join(frags)})" if frags else "")
    if start_ms is not None:
        where += " AND last_seen >= %s"
        params.append(start_ms)
    if end_ms is not None:
        where += " AND first_seen <= %s"
        params.append(end_ms)
    cur = await conn.execute(f"SELECT id, name, labels, kind, unit, first_seen, last_seen FROM oe_series WHERE {where}", params)
    out: dict[int, SeriesInfo] = {}
    for sid, name, labels, kind, unit, first, last in await cur.fetchall():
        ls = LabelSet(tuple(sorted(labels.items())))
        if not selectors or any(s.matches(name, ls) for s in selectors):  # regexes and negations
            out[sid] = SeriesInfo(SeriesKey(tenant, name, ls), MetricKind(kind), unit, first, last)
    return out
