import { Injectable, inject } from '@angular/core';
import { ApiClient } from '../api/api-client';

export const DASHBOARD_SCHEMA = 'observer-eye.dashboard/v1';
export const CHART_KINDS = ['line', 'area', 'stacked', 'table'] as const;
export type ChartKind = (typeof CHART_KINDS)[number];

/** A saved panel: PromQL expressions drawn as one kind of chart (or a table) over a range. */
export interface DashboardPanel {
  title: string;
  queries: string[];
  chart: ChartKind;
  /** `now`, `now-6h` or epoch ms (as the Performance page's URL keeps them); a zone or `browser`. */
  range: { from: string; to: string; timezone: string };
  /** `30s`, `5m`; null: chosen from the range. */
  step: string | null;
}

/** A dashboard's definition: what "Export JSON" writes and "Import JSON" reads. */
export interface DashboardDefinition {
  schema?: string;
  title: string;
  description: string;
  panels: DashboardPanel[];
}

export interface Dashboard extends DashboardDefinition {
  id: string;
  version: number;
  created_by: string;
  created_at_ms: number;
  updated_by: string;
  updated_at_ms: number;
}

/** A list entry: the panels counted, not sent. */
export interface DashboardSummary extends Omit<Dashboard, 'panels'> {
  panels: number;
}

export interface DashboardPage {
  data: DashboardSummary[];
  next_cursor: string | null;
}

/** `/api/v1/dashboards`: a tenant's saved dashboards (adapters/http/routes/dashboards.py). */
@Injectable({ providedIn: 'root' })
export class DashboardsApi {
  private readonly api = inject(ApiClient);

  list(cursor: string | null = null, signal?: AbortSignal, limit = 50): Promise<DashboardPage> {
    return this.api.getBody<DashboardPage>('/api/v1/dashboards', { limit, cursor }, signal);
  }

  get(id: string, signal?: AbortSignal): Promise<Dashboard> {
    return this.api.get<Dashboard>(`/api/v1/dashboards/${encodeURIComponent(id)}`, undefined, signal);
  }

  /** Create one, or import an exported definition (the API gives it a new id). */
  create(definition: DashboardDefinition): Promise<Dashboard> {
    return this.api.post<Dashboard>('/api/v1/dashboards', definition);
  }

  /** Replace it as it was read: refused (409) if someone changed it since. */
  replace(dashboard: Dashboard): Promise<Dashboard> {
    return this.api.put<Dashboard>(`/api/v1/dashboards/${encodeURIComponent(dashboard.id)}`,
      { ...definitionOf(dashboard), version: dashboard.version });
  }

  delete(dashboard: Pick<Dashboard, 'id' | 'version'>): Promise<void> {
    return this.api.delete(`/api/v1/dashboards/${encodeURIComponent(dashboard.id)}?version=${dashboard.version}`);
  }

  /** The definition as the API exports it. */
  export(id: string): Promise<DashboardDefinition> {
    return this.api.getBody<DashboardDefinition>(`/api/v1/dashboards/${encodeURIComponent(id)}/export`);
  }
}

export function definitionOf(d: DashboardDefinition): DashboardDefinition {
  return { schema: DASHBOARD_SCHEMA, title: d.title, description: d.description, panels: d.panels };
}
