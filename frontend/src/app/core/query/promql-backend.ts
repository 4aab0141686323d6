import { inject } from '@angular/core';
import { ApiClient } from '../api/api-client';
import { ResolvedRange } from '../time/time-range';
import type { MetricsQuery, QueryBackend, SeriesData, SuggestionKey } from './query-backend';
import { fromMatrix, PromMatrix } from './matrix';
import { selectorsIn } from './promql-selectors';

const BASE = '/prometheus/api/v1';

/** PromQL's functions and aggregations, offered with metric names. */
export const PROMQL_FUNCTIONS = [
  'abs', 'absent', 'absent_over_time', 'avg', 'avg_over_time', 'bottomk', 'ceil', 'changes', 'clamp', 'clamp_max',
  'clamp_min', 'count', 'count_over_time', 'count_values', 'day_of_month', 'day_of_week', 'delta', 'deriv', 'exp',
  'floor', 'group', 'histogram_quantile', 'holt_winters', 'hour', 'idelta', 'increase', 'irate', 'label_join',
  'label_replace', 'last_over_time', 'ln', 'log2', 'log10', 'max', 'max_over_time', 'min', 'min_over_time', 'minute',
  'month', 'predict_linear', 'present_over_time', 'quantile', 'quantile_over_time', 'rate', 'resets', 'round',
  'scalar', 'sort', 'sort_desc', 'sqrt', 'stddev', 'stddev_over_time', 'stdvar', 'stdvar_over_time', 'sum',
  'sum_over_time', 'time', 'timestamp', 'topk', 'vector', 'year',
];

interface PromList {
  data: string[];
}

/**
 * The Prometheus HTTP API under `/prometheus` (ADR 0016): range queries at
 * `/query_range`, completion from `/label/__name__/values` (metric names),
 * `/labels?match[]=` (a metric's label names) and `/label/{name}/values?match[]=` (its
 * values), and live updates from the selectors inside the expression.
 */
export class PromqlQueryBackend implements QueryBackend {
  readonly language = 'promql' as const;
  private readonly api = inject(ApiClient);

  async rangeQuery(query: MetricsQuery, range: ResolvedRange, stepMs: number, signal?: AbortSignal): Promise<SeriesData[]> {
    const answer = await this.api.getBody<PromMatrix>(
      `${BASE}/query_range`,
      {
        query: query.expr,
        start: (range.startMs / 1000).toFixed(3),
        end: (range.endMs / 1000).toFixed(3),
        step: String(Math.max(1, Math.round(stepMs / 1000))),
      },
      signal,
    );
    return fromMatrix(answer);
  }

  liveSelectors(query: MetricsQuery): string[] {
    return selectorsIn(query.expr);
  }

  async suggest(key: SuggestionKey, signal?: AbortSignal): Promise<string[]> {
    const match = key.kind !== 'metric' && key.metric ? { 'match[]': [key.metric] } : undefined;
    if (key.kind === 'metric') {
      const names = await this.api.getBody<PromList>(`${BASE}/label/__name__/values`, undefined, signal);
      return [...names.data, ...PROMQL_FUNCTIONS];
    }
    if (key.kind === 'label') {
      const labels = await this.api.getBody<PromList>(`${BASE}/labels`, match, signal);
      return labels.data.filter((l) => l !== '__name__');
    }
    const values = await this.api.getBody<PromList>(`${BASE}/label/${encodeURIComponent(key.label)}/values`, match, signal);
    return values.data;
  }
}
