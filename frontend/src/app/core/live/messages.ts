/** The messages of the WebSocket `/api/v1/stream` (docs/streaming.md). */

/** A number, or how Prometheus spells the non-finite ones. */
export type SampleValue = number | 'NaN' | '+Inf' | '-Inf';

export interface LiveSample {
  id: string;
  name: string;
  labels: Record<string, string>;
  t: number;
  v: SampleValue;
}

export interface AlertEvent {
  type: 'alert';
  fingerprint: string;
  rule_id: string;
  from: string;
  to: string;
  at_ms: number;
  labels: Record<string, string>;
  value: SampleValue | null;
  annotations: Record<string, string>;
}

export interface IncidentEvent {
  type: 'incident';
  change: string;
  incident: { id: string; version: number; [key: string]: unknown };
}

export type ServerMessage =
  | { type: 'hello'; tenant: string; feeds: string[]; limits: Record<string, number> }
  | { type: 'subscribed'; series: string[]; alerts: boolean; incidents: boolean }
  | { type: 'samples'; series: LiveSample[] }
  | AlertEvent
  | IncidentEvent
  | { type: 'overflow'; dropped_series_updates: number; dropped_events: number }
  | { type: 'error'; op?: string; message: string; field?: string | null }
  | { type: 'pong' };

/** A sample's value as a number: the stream sends numbers (and the strings 'NaN',
 * '+Inf', '-Inf'); Prometheus-shaped HTTP answers send every value as a string ("0.25"). */
export function sampleNumber(v: SampleValue | string | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v); // "NaN" and anything unparsable: NaN
}
