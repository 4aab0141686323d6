import { InjectionToken, inject } from '@angular/core';
import { ApiClient } from '../api/api-client';
import { sampleNumber, SampleValue } from '../live/messages';
import { ResolvedRange } from '../time/time-range';

/**
 * A query as the Performance page and the tiles state it. `expr` is what the editor
 * holds: a series selector for today's API, a PromQL expression once the PromQL API
 * lands. `fn`, `by`, `agg` and `window` are today's API's own parameters (README: fn is
 * the per-series function over each step's window; by/agg aggregate across series);
 * the PromQL backend ignores them, the expression says it all.
 */
export interface MetricsQuery {
  expr: string;
  fn?: string;
  by?: string | null;
  agg?: string;
  window?: string | null;
}

/** One result series: label set, and timestamps (ms) with their values (null: no value). */
export interface SeriesData {
  key: string;
  labels: Record<string, string>;
  t: number[];
  v: (number | null)[];
}

export interface SeriesCatalogueEntry {
  name: string;
  labels: Record<string, string>;
}

/** What the dashboard needs from a query API. One implementation is active (see
 * QUERY_BACKEND); switching to PromQL is one new class and one line there. */
export interface QueryBackend {
  /** `selector`: expressions are series selectors plus fn/by; `promql`: PromQL. */
  readonly language: 'selector' | 'promql';
  rangeQuery(query: MetricsQuery, range: ResolvedRange, stepMs: number, signal?: AbortSignal): Promise<SeriesData[]>;
  /** The series selectors whose live samples change this query's answer. */
  liveSelectors(query: MetricsQuery): string[];
  /** Known series (names and labels) for completion, at most `limit`. */
  catalogue(limit: number, signal?: AbortSignal): Promise<SeriesCatalogueEntry[]>;
}

interface PromMatrix {
  data: { resultType: 'matrix'; result: { metric: Record<string, string>; values: [number, SampleValue | string][] }[] };
}

interface SeriesAnswer {
  series: { name: string; labels: Record<string, string> }[];
}

export function seriesKey(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',');
}

export function fromMatrix(answer: PromMatrix): SeriesData[] {
  return answer.data.result.map((r) => ({
    key: seriesKey(r.metric),
    labels: r.metric,
    t: r.values.map(([t]) => Math.round(t * 1000)),
    v: r.values.map(([, v]) => sampleNumber(v)),
  }));
}

/** Today's API: `/api/v1/query_range` with a selector and `fn`/`by`/`agg`, and
 * `/api/v1/series` for the catalogue. */
export class SelectorQueryBackend implements QueryBackend {
  readonly language = 'selector' as const;
  private readonly api = inject(ApiClient);

  async rangeQuery(query: MetricsQuery, range: ResolvedRange, stepMs: number, signal?: AbortSignal): Promise<SeriesData[]> {
    const answer = await this.api.getBody<PromMatrix>(
      '/api/v1/query_range',
      {
        query: query.expr,
        start: (range.startMs / 1000).toFixed(3),
        end: (range.endMs / 1000).toFixed(3),
        step: `${Math.max(1, Math.round(stepMs / 1000))}s`,
        fn: query.fn || 'last',
        window: query.window,
        by: query.by ?? undefined,
        agg: query.by !== null && query.by !== undefined ? query.agg || 'sum' : undefined,
      },
      signal,
    );
    return fromMatrix(answer);
  }

  liveSelectors(query: MetricsQuery): string[] {
    return query.expr.trim() ? [query.expr.trim()] : [];
  }

  async catalogue(limit: number, signal?: AbortSignal): Promise<SeriesCatalogueEntry[]> {
    const answer = await this.api.getBody<SeriesAnswer>('/api/v1/series', { 'match[]': ['{__name__=~".+"}'], limit }, signal);
    return answer.series.map((s) => ({ name: s.name, labels: s.labels }));
  }
}

export const QUERY_BACKEND = new InjectionToken<QueryBackend>('QUERY_BACKEND', {
  providedIn: 'root',
  factory: () => new SelectorQueryBackend(),
});

/**
 * The points of `fresh` (a query over [fromMs, ...]) laid over `current`: points before
 * `fromMs` are kept, later ones replaced, so refetching the tail of a live chart adds
 * no duplicates and leaves no gaps. Points before `keepFromMs` are dropped (the window
 * of a relative range slides).
 */
export function mergeTail(current: SeriesData[], fresh: SeriesData[], fromMs: number, keepFromMs: number): SeriesData[] {
  const byKey = new Map(fresh.map((s) => [s.key, s]));
  const out: SeriesData[] = [];
  for (const old of current) {
    const head = { t: [] as number[], v: [] as (number | null)[] };
    for (let i = 0; i < old.t.length; i++) {
      if (old.t[i] >= keepFromMs && old.t[i] < fromMs) {
        head.t.push(old.t[i]);
        head.v.push(old.v[i]);
      }
    }
    const tail = byKey.get(old.key);
    byKey.delete(old.key);
    const merged = { key: old.key, labels: old.labels, t: head.t.concat(tail?.t ?? []), v: head.v.concat(tail?.v ?? []) };
    if (merged.t.length) out.push(merged);
  }
  for (const s of byKey.values()) out.push(s);
  return out;
}
