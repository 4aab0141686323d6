import { Injectable, inject } from '@angular/core';
import { ApiClient } from '../api/api-client';

export type KeyScope = 'ingest' | 'read' | 'responder' | 'admin';
export const KEY_SCOPES: readonly KeyScope[] = ['ingest', 'read', 'responder', 'admin'];

/** An API key without its secret (`/api/v1/api-keys`): the masked form only. */
export interface ApiKey {
  id: string;
  name: string;
  key: string;
  prefix: string;
  scopes: KeyScope[];
  owner: string | null;
  created_at_ms: number;
  expires_at_ms: number | null;
  revoked_at_ms: number | null;
}

/** The answer to create and rotate: the only time the secret is shown. */
export interface ApiKeyWithSecret extends ApiKey {
  secret: string;
}

export interface NewKey {
  name: string;
  scopes: KeyScope[];
  expires_in_days: number | null;
  never_expires: boolean;
}

@Injectable({ providedIn: 'root' })
export class ApiKeysApi {
  private readonly api = inject(ApiClient);
  private readonly base = '/api/v1/api-keys';

  list(signal?: AbortSignal): Promise<ApiKey[]> {
    return this.api.get<ApiKey[]>(this.base, undefined, signal);
  }

  create(key: NewKey): Promise<ApiKeyWithSecret> {
    const body: Record<string, unknown> = { name: key.name, scopes: key.scopes, never_expires: key.never_expires };
    if (key.expires_in_days !== null && !key.never_expires) body['expires_in_days'] = key.expires_in_days;
    return this.api.post<ApiKeyWithSecret>(this.base, body);
  }

  revoke(id: string): Promise<void> {
    return this.api.delete(`${this.base}/${encodeURIComponent(id)}`);
  }

  /** A new key in its place; the old one keeps working `graceS` seconds. */
  rotate(id: string, graceS: number): Promise<ApiKeyWithSecret> {
    return this.api.post<ApiKeyWithSecret>(`${this.base}/${encodeURIComponent(id)}/rotate`, { grace_s: graceS });
  }
}
