import { InjectionToken } from '@angular/core';
import { ResolvedRange } from '../time/time-range';
import { PromqlQueryBackend } from './promql-backend';

/**
 * A query as the Performance page and the tiles state it: a PromQL expression. `fn`,
 * `by`, `agg` and `window` were the selector API's own parameters (ADR 0015 stage 1);
 * links saved then still carry them, and the PromQL backend ignores them: the
 * expression says it all.
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

/** What the editor completes at the caret: a metric (or function) name, a label name of
 * a metric, or the values of a metric's label. */
export type SuggestionKey =
  | { kind: 'metric' }
  | { kind: 'label'; metric: string | null }
  | { kind: 'value'; metric: string | null; label: string };

/** What the dashboard needs from a query API (QUERY_BACKEND). */
export interface QueryBackend {
  readonly language: 'promql';
  rangeQuery(query: MetricsQuery, range: ResolvedRange, stepMs: number, signal?: AbortSignal): Promise<SeriesData[]>;
  /** The series selectors whose live samples change this query's answer. */
  liveSelectors(query: MetricsQuery): string[];
  /** Every candidate for a completion (the editor filters and ranks them by prefix). */
  suggest(key: SuggestionKey, signal?: AbortSignal): Promise<string[]>;
}

export { fromMatrix, seriesKey } from './matrix';
export type { PromMatrix } from './matrix';

export const QUERY_BACKEND = new InjectionToken<QueryBackend>('QUERY_BACKEND', {
  providedIn: 'root',
  factory: () => new PromqlQueryBackend(),
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
