"""The series catalogue: saved with each flush, searched by every read.

Why it lives apart from the chunks: a selector is answered here first (name equality
and JSONB label containment, both indexed), so chunk reads only ever name series ids.
First and last seen are widened in the flush's own transaction, so they never claim
more than the committed chunks hold; ``last_seen`` may trail them by less than a minute
(``LAST_SEEN_SLACK_MS``, see ``save``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import psycopg

from adapters.postgres.head import CachedSeries, FlushRows, SeriesMeta
from adapters.postgres.reading import selector_sql
from domain.metrics.kinds import MetricKind
from domain.metrics.labels import LabelSet
from domain.metrics.query import Selector
from domain.metrics.series import SeriesKey
from ports.samples import SeriesInfo

LAST_SEEN_SLACK_MS = 60_000


async def save(conn: psycopg.AsyncConnection, meta: dict[int, SeriesMeta], rows: FlushRows,
               cached: Callable[[int], CachedSeries | None]) -> list[tuple[CachedSeries, int, int]]:
    """Upsert the series of ``meta`` (new to the writer's cache) with this flush's
    first/last; widen first/last seen of the others where they moved enough (below);
    insert any widened one that is missing (retention removed it meanwhile).

    Returns ``(cache entry, first, last)`` of what was written, for the caller to
    record once the transaction committed. A known series' ``last_seen`` is only
    written when it moved by ``LAST_SEEN_SLACK_MS`` or more (``first_seen`` whenever it
    moves): updating every series' row on every flush cost most of a flush. So the
    stored ``last_seen`` may trail the newest sample by less than the slack, and
    ``find`` widens its range by as much."""
    inserts: list[tuple[int, SeriesMeta, int, int]] = []
    widen: list[tuple[int, int, int]] = []
    done: list[tuple[CachedSeries, int, int]] = []
    entries: dict[int, CachedSeries] = {}
    for sid, first, last in zip(rows.seen_ids.tolist(), rows.seen_first.tolist(), rows.seen_last.tolist()):
        entry = cached(sid)
        m = meta.get(sid)
        if m is not None:
            inserts.append((sid, m, first, last))
        elif entry is None or entry.first is None or first < entry.first or last >= entry.last + LAST_SEEN_SLACK_MS:
            widen.append((sid, first, last))
        else:
            continue
        if entry is not None:
            entries[sid] = entry
            done.append((entry, first, last))
    if widen:
        ids, firsts, lasts = zip(*widen)
        cur = await conn.execute(
            "UPDATE oe_series s SET first_seen = LEAST(s.first_seen, u.f), last_seen = GREATEST(s.last_seen, u.l) "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS u(id, f, l) WHERE s.id = u.id RETURNING s.id",
            (list(ids), list(firsts), list(lasts)),
        )
        updated = {r[0] for r in await cur.fetchall()}
        # Missing from the catalogue: insert it again if the cache still knows what it is.
        inserts += [(sid, entries[sid].meta, f, l) for sid, f, l in widen if sid not in updated and sid in entries]
    if inserts:
        # COPY into a scratch table, then one upsert: a burst of 12,000 new series took
        # ~400 ms as unnest() parameters and ~110 ms this way, and every sample waiting
        # for that flush waited as long (ingest_to_queryable, docs/adr/0013).
        await conn.execute("CREATE TEMP TABLE IF NOT EXISTS oe_new_series (LIKE oe_series) ON COMMIT DELETE ROWS")
        async with conn.cursor().copy("COPY oe_new_series FROM STDIN") as copy:
            for sid, m, first, last in inserts:
                await copy.write_row((sid, m.key.tenant, m.key.name, json.dumps(m.key.labels.as_dict(), separators=(",", ":")),
                                      m.kind.value, m.unit, first, last))
        await conn.execute(
            "INSERT INTO oe_series SELECT * FROM oe_new_series ON CONFLICT (id) DO UPDATE SET "
            "first_seen = LEAST(oe_series.first_seen, excluded.first_seen), "
            "last_seen = GREATEST(oe_series.last_seen, excluded.last_seen)"
        )
    return done


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
        params.append(start_ms - LAST_SEEN_SLACK_MS)  # the stored last_seen may trail (see save)
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
