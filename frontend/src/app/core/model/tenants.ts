import { Injectable, inject } from '@angular/core';
import { ApiClient } from '../api/api-client';
import { Invitation } from './users';

export interface Tenant {
  id: string;
  name: string;
  status: 'active' | 'deactivated';
  created_at_ms: number;
  deactivated_at_ms: number | null;
}

/** What creating a tenant answers: its first admin's one-time token and an admin API key (shown once). */
export interface CreatedTenant {
  tenant: Tenant;
  admin: Invitation;
  api_key: string;
}

/** Tenants, for platform administrators (`/api/v1/tenants`). */
@Injectable({ providedIn: 'root' })
export class TenantsApi {
  private readonly api = inject(ApiClient);

  list(signal?: AbortSignal): Promise<Tenant[]> {
    return this.api.get<Tenant[]>('/api/v1/tenants', undefined, signal);
  }

  create(body: { id: string; name: string; admin: { username: string; email: string; name: string } }): Promise<CreatedTenant> {
    return this.api.post<CreatedTenant>('/api/v1/tenants', body);
  }

  setActive(id: string, active: boolean): Promise<Tenant> {
    return this.api.post<Tenant>(`/api/v1/tenants/${encodeURIComponent(id)}/${active ? 'reactivate' : 'deactivate'}`);
  }
}
