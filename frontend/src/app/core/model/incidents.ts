import { Injectable, inject } from '@angular/core';
import { ApiClient } from '../api/api-client';

export type IncidentStatus = 'triggered' | 'acknowledged' | 'mitigated' | 'resolved' | 'closed';
export const ACTIVE_STATUSES: readonly IncidentStatus[] = ['triggered', 'acknowledged', 'mitigated'];
export const SEVERITIES = ['SEV1', 'SEV2', 'SEV3', 'SEV4'] as const;

export interface TimelineEntry {
  at_ms: number;
  kind: string;
  actor: string;
  text: string;
  data: Record<string, string>;
}

/** An incident as `/api/v1/incidents` answers it (adapters/http/routes/incidents.py). */
export interface Incident {
  id: string;
  title: string;
  severity: string;
  status: IncidentStatus;
  opened_at_ms: number;
  acknowledged_at_ms: number | null;
  mitigated_at_ms: number | null;
  resolved_at_ms: number | null;
  closed_at_ms: number | null;
  alerts: string[];
  summary: string;
  version: number;
  allowed_actions: string[];
  mtta_ms: number | null;
  mttr_ms: number | null;
  timeline?: TimelineEntry[];
  workflow?: IncidentWorkflow | null;
}

export interface Escalation {
  policy: string | null;
  total_steps: number | null;
  round: number;
  step: number;
  level: number | null;
  awaiting: boolean;
  deadline_ms: number | null;
  paused: boolean;
  remaining_ms: number | null;
  exhausted: boolean;
  active: boolean;
}

export interface Page {
  at_ms: number;
  round: number;
  step: number;
  level: number;
  target: string;
  user: string | null;
  delivered: boolean;
  detail: string;
}

export interface RemediationEntry {
  workflow_id: string;
  runbook: string | null;
  requested_by: string;
  dry_run: boolean;
  status: string;
  at_ms: number;
}

/** The incident workflow's `state` query (workflows/incident/workflow.py). */
export interface IncidentWorkflow {
  status: string;
  escalation: Escalation;
  pages: Page[];
  remediations: RemediationEntry[];
  postmortem: { workflow_id: string; status: string; started_at_ms: number; [k: string]: unknown } | null;
}

/** A remediation run's state (workflows/remediation/workflow.py). */
export interface RemediationRun {
  workflow_id: string;
  runbook: string | null;
  phase: string;
  current_step: string | null;
  steps: { step: string; status: string; detail: unknown }[];
  decisions: Record<string, { decision?: string; by?: string; [k: string]: unknown }>;
  refusals: { step?: string; by?: string; reason?: string; [k: string]: unknown }[];
  plan: unknown[];
  compensated: unknown[];
}

export type IncidentAction = 'acknowledge' | 'mitigate' | 'resolve' | 'reopen' | 'close';

/** The incident routes, one method each. */
@Injectable({ providedIn: 'root' })
export class IncidentsApi {
  private readonly api = inject(ApiClient);
  private readonly base = '/api/v1/incidents';

  list(status: readonly IncidentStatus[] = [], limit = 200, signal?: AbortSignal): Promise<Incident[]> {
    return this.api.get<Incident[]>(this.base, { status, limit }, signal);
  }

  get(id: string, signal?: AbortSignal): Promise<Incident> {
    return this.api.get<Incident>(`${this.base}/${encodeURIComponent(id)}`, undefined, signal);
  }

  act(id: string, action: IncidentAction, text = ''): Promise<Incident> {
    const body = action === 'reopen' ? { text } : action === 'close' || action === 'acknowledge' ? {} : { note: text };
    return this.api.post<Incident>(`${this.base}/${encodeURIComponent(id)}/${action}`, body);
  }

  addNote(id: string, text: string): Promise<Incident> {
    return this.api.post<Incident>(`${this.base}/${encodeURIComponent(id)}/notes`, { text });
  }

  setSeverity(id: string, severity: string): Promise<Incident> {
    return this.api.post<Incident>(`${this.base}/${encodeURIComponent(id)}/severity`, { severity });
  }

  escalateNow(id: string): Promise<unknown> {
    return this.api.post(`${this.base}/${encodeURIComponent(id)}/escalate`);
  }

  pauseEscalation(id: string, paused: boolean): Promise<unknown> {
    return this.api.post(`${this.base}/${encodeURIComponent(id)}/escalation/${paused ? 'pause' : 'resume'}`);
  }

  /** Runs a catalogue runbook (or only answers its plan, `dryRun`). */
  remediate(id: string, runbookId: string, dryRun: boolean): Promise<{ workflow_id: string; plan: unknown[] }> {
    return this.api.post(`${this.base}/${encodeURIComponent(id)}/remediations`, { runbook_id: runbookId, dry_run: dryRun });
  }

  remediation(id: string, runId: string, signal?: AbortSignal): Promise<RemediationRun> {
    return this.api.get<RemediationRun>(
      `${this.base}/${encodeURIComponent(id)}/remediations/${encodeURIComponent(runId)}`, undefined, signal);
  }

  decideStep(id: string, runId: string, stepId: string, decision: 'approve' | 'reject', reason = ''): Promise<unknown> {
    const path = `${this.base}/${encodeURIComponent(id)}/remediations/${encodeURIComponent(runId)}/steps/${encodeURIComponent(stepId)}/${decision}`;
    return this.api.post(path, decision === 'reject' ? { reason } : {});
  }

  publishPostmortem(id: string, body: string): Promise<unknown> {
    return this.api.post(`${this.base}/${encodeURIComponent(id)}/postmortem/publish`, { body });
  }
}

/** Mean of the non-null values, or null. */
export function mean(values: readonly (number | null)[]): number | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}
