import { Injectable, inject } from '@angular/core';
import { ApiClient } from '../api/api-client';

export interface Posture {
  framework: string;
  title: string;
  score: number | null;
  passed: number;
  failed: number;
  errored: number;
  not_applicable: number;
  unevaluated: number;
  total: number;
}

export interface Control {
  id: string;
  title: string;
  description: string;
  severity: string;
  weight: number;
  frameworks: { framework: string; title: string; reference: string }[];
  check: string;
  applies_when: string | null;
  required_facts: string[];
  required_metrics: string[];
  status: string | null;
  evaluated_at: string | null;
  error: string | null;
}

export interface Evidence {
  kind: string;
  key: string;
  operator: string;
  observed: unknown;
  expected: unknown;
  passed: boolean;
  error: string | null;
  at: string | null;
}

export interface Evaluation {
  control_id: string;
  status: string;
  evaluated_at: string;
  evaluated_at_ms: number;
  error: string | null;
  evidence: Evidence[];
}

/** The compliance routes (adapters/http/routes/compliance.py). */
@Injectable({ providedIn: 'root' })
export class ComplianceApi {
  private readonly api = inject(ApiClient);

  posture(signal?: AbortSignal): Promise<Posture[]> {
    return this.api.get<Posture[]>('/api/v1/compliance/posture', undefined, signal);
  }

  controls(framework?: string, signal?: AbortSignal): Promise<Control[]> {
    return this.api.get<Control[]>('/api/v1/compliance/controls', { framework }, signal);
  }

  async evaluations(controlId: string, signal?: AbortSignal): Promise<Evaluation[]> {
    const path = `/api/v1/compliance/controls/${encodeURIComponent(controlId)}/evaluations`;
    return (await this.api.get<{ evaluations: Evaluation[] }>(path, { limit: 50 }, signal)).evaluations;
  }

  evaluateNow(): Promise<unknown> {
    return this.api.post('/api/v1/compliance/evaluate');
  }
}

/** The mean of the scores of the frameworks that have one (null: none has). */
export function overallScore(posture: readonly Posture[]): number | null {
  const scored = posture.filter((p) => p.score !== null);
  return scored.length ? scored.reduce((a, p) => a + (p.score ?? 0), 0) / scored.length : null;
}
