import { sampleNumber, SampleValue } from '../live/messages';
import type { SeriesData } from './query-backend';

/** A Prometheus range query's answer (`resultType: matrix`). */
export interface PromMatrix {
  data: { resultType: 'matrix'; result: { metric: Record<string, string>; values: [number, SampleValue | string][] }[] };
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
