import { Injectable, inject } from '@angular/core';
import { ApiClient } from '../api/api-client';

/** A catalogue runbook (`/api/v1/runbooks`, adapters/http/routes/runbooks.py). */
export interface Runbook {
  id: string;
  name: string;
  version: number;
  steps: Record<string, unknown>[];
  updated_by: string;
  updated_at_ms: number;
}

/** The remediation runbook catalogue: admins write runbooks, responders run them by id. */
@Injectable({ providedIn: 'root' })
export class RunbooksApi {
  private readonly api = inject(ApiClient);
  private readonly base = '/api/v1/runbooks';

  list(signal?: AbortSignal): Promise<Runbook[]> {
    return this.api.get<Runbook[]>(this.base, undefined, signal);
  }

  create(id: string, name: string, steps: unknown[]): Promise<Runbook> {
    return this.api.post<Runbook>(this.base, { id, name: name || null, steps });
  }

  /** Replaces it; `version` is the one read (a newer one on the server: 409). */
  update(id: string, version: number, name: string, steps: unknown[]): Promise<Runbook> {
    return this.api.put<Runbook>(`${this.base}/${encodeURIComponent(id)}`, { version, name: name || null, steps });
  }

  remove(id: string, version: number): Promise<void> {
    return this.api.delete(`${this.base}/${encodeURIComponent(id)}?version=${version}`);
  }
}
