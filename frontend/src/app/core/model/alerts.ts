import { Injectable, inject } from '@angular/core';
import { ApiClient } from '../api/api-client';

export type AlertState = 'pending' | 'firing' | 'resolved' | 'inactive';

/** An alert in Prometheus' /api/v1/alerts shape (adapters/http/routes/alerts.py). */
export interface Alert {
  fingerprint: string;
  rule_id: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: AlertState;
  activeAt: string | null;
  firedAt: string | null;
  resolvedAt: string | null;
  value: string | null;
}

export interface AlertDecision {
  at: string;
  at_ms: number;
  stage: string;
  outcome: string;
  reason: string;
  receiver: string | null;
  group_key: string | null;
  idempotency_key: string | null;
}

export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

export interface Recurrence {
  timezone: string;
  weekdays: number[];
  start_time: string;
  duration: string;
}

export interface SilenceIn {
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  recurrence: Recurrence | null;
}

export interface Silence {
  id: string;
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  status: { state: string };
  recurrence: { timezone: string; weekdays: number[]; start_time: string; duration_ms: number } | null;
}

export type RuleType = 'threshold' | 'absence' | 'anomaly';

export interface Rule {
  id: string;
  name: string;
  type: RuleType;
  group: string;
  enabled: boolean;
  /** Raised by every write; a write names the version it read (409 when stale). */
  version: number;
  selector: string;
  for_ms: number;
  keep_firing_for_ms: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  aggregation?: string;
  window_ms?: number;
  op?: string;
  threshold?: number;
  q?: number | null;
  absent_for_ms?: number;
  detector?: string;
  level?: number;
}

/** The body of `POST /api/v1/rules` (durations as text: `1m`, `30s`). */
export interface RuleIn {
  type: RuleType;
  name: string;
  selector: string;
  for: string;
  keep_firing_for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  aggregation?: string;
  window?: string;
  op?: string;
  threshold?: number;
  absent_for?: string;
  detector?: string;
  level?: number;
}

/** One transition the dry run replayed (services/rule_dry_run.py). */
export interface DryRunTransition {
  at_ms: number;
  from: AlertState;
  to: AlertState;
  labels: Record<string, string>;
  fingerprint: string;
  value: number | string | null;
}

/** `POST /api/v1/rules/dry-run`: would the rule have fired over the stored samples, and when. */
export interface DryRun {
  start_ms: number;
  end_ms: number;
  would_have_fired: boolean;
  summary: {
    series: number; samples: number; transitions: number; fired: number; alerts_fired: number;
    firing_at_end: number; first_fired_at_ms: number | null; firing_ms: number;
  };
  transitions: DryRunTransition[];
  /** More transitions happened than are listed (the summary counts them all). */
  truncated: boolean;
  elapsed_ms: number;
}

/** The alert, rule and silence routes. */
@Injectable({ providedIn: 'root' })
export class AlertsApi {
  private readonly api = inject(ApiClient);

  async alerts(states: readonly AlertState[] = [], signal?: AbortSignal): Promise<Alert[]> {
    return (await this.api.get<{ alerts: Alert[] }>('/api/v1/alerts', { state: states }, signal)).alerts;
  }

  async history(fingerprint: string, signal?: AbortSignal): Promise<AlertDecision[]> {
    const path = `/api/v1/alerts/${encodeURIComponent(fingerprint)}/history`;
    return (await this.api.get<{ decisions: AlertDecision[] }>(path, { limit: 500 }, signal)).decisions;
  }

  rules(signal?: AbortSignal): Promise<Rule[]> {
    return this.api.get<Rule[]>('/api/v1/rules', { limit: 1000 }, signal);
  }

  createRule(rule: RuleIn): Promise<Rule> {
    return this.api.post<Rule>('/api/v1/rules', rule);
  }

  /** Replays the stored samples of the last `range` through the definition; nothing is stored. */
  dryRun(rule: RuleIn, range = '24h'): Promise<DryRun> {
    return this.api.post<DryRun>('/api/v1/rules/dry-run', { ...rule, range });
  }

  /** Deletes the rule as it was read: refused (409) if someone changed it since. */
  deleteRule(rule: Pick<Rule, 'id' | 'version'>): Promise<void> {
    return this.api.delete(`/api/v1/rules/${encodeURIComponent(rule.id)}?version=${rule.version}`);
  }

  silences(signal?: AbortSignal): Promise<Silence[]> {
    return this.api.get<Silence[]>('/api/v1/silences', undefined, signal);
  }

  createSilence(silence: SilenceIn): Promise<Silence> {
    return this.api.post<Silence>('/api/v1/silences', silence);
  }

  expireSilence(id: string): Promise<Silence> {
    return this.api.post<Silence>(`/api/v1/silences/${encodeURIComponent(id)}/expire`);
  }
}

/** The value of `alertname`, else the first label. */
export function alertName(alert: Pick<Alert, 'labels'>): string {
  return alert.labels['alertname'] ?? Object.values(alert.labels)[0] ?? '(no labels)';
}
