import { Injectable, inject } from '@angular/core';
import { ApiClient } from '../api/api-client';

/** One audit entry (`/api/v1/audit`, domain/identity/audit.py). */
export interface AuditEntry {
  id: string;
  at_ms: number;
  actor: string;
  actor_name: string;
  actor_tenant: string | null;
  action: string;
  target: string;
  remote_addr: string;
  /** The HTTP status, for entries recorded per request; null otherwise. */
  status: number | null;
  before: unknown;
  after: unknown;
}

/** Filters as the API takes them; `since`/`until` are RFC 3339 or Unix seconds. */
export interface AuditFilter {
  actor: string;
  action: string;
  target: string;
  since: string;
  until: string;
}

export interface AuditPage {
  data: AuditEntry[];
  next_before: string | null;
}

@Injectable({ providedIn: 'root' })
export class AuditApi {
  private readonly api = inject(ApiClient);

  /** A page, newest first; `before` is the previous page's `next_before`. */
  page(filter: AuditFilter, before: string | null, limit: number, signal?: AbortSignal): Promise<AuditPage> {
    return this.api.getBody<AuditPage>('/api/v1/audit', { ...filter, before, limit }, signal);
  }

  /** Where every matching entry downloads as JSON lines (same origin: the session cookie goes along). */
  exportUrl(filter: AuditFilter): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
    const query = q.toString();
    return `/api/v1/audit/export${query ? `?${query}` : ''}`;
  }
}
