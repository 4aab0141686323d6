import { Injectable, inject } from '@angular/core';
import { ApiClient } from '../api/api-client';

/** A receiver as the routing API shows it (`/api/v1/receivers`, ADR 0018): Alertmanager's
 * shape (`webhook_configs`, `slack_configs`, ...), secrets as "<redacted>". */
export interface Receiver {
  name: string;
  version: number;
  updated_by: string;
  updated_at_ms: number;
  has_secret: boolean;
  [config: string]: unknown;
}

export interface RoutingTree {
  route: Record<string, unknown>;
  version: number;
  updated_by: string;
  updated_at_ms: number;
}

/** One channel's test notification, through the one delivery path. */
export interface TestSend {
  channel: string;
  type: string;
  key: string;
  status: string;
  delivery: string;
}

const META = ['name', 'version', 'updated_by', 'updated_at_ms', 'has_secret'];

/** A receiver's channel types (`slack_configs` → slack), for lists. */
export function channelTypes(r: Receiver): string[] {
  return Object.keys(r).filter((k) => k.endsWith('_configs') && Array.isArray(r[k]) && (r[k] as unknown[]).length)
    .map((k) => k.slice(0, -'_configs'.length));
}

/** The receiver's document without the API's bookkeeping (what a write sends back). */
export function receiverDocument(r: Receiver): Record<string, unknown> {
  return Object.fromEntries(Object.entries(r).filter(([k]) => !META.includes(k) || k === 'name'));
}

@Injectable({ providedIn: 'root' })
export class RoutingApi {
  private readonly api = inject(ApiClient);

  async receivers(signal?: AbortSignal): Promise<Receiver[]> {
    const all: Receiver[] = [];
    let cursor: string | null = null;
    do { // every page: a tenant has tens of receivers, not thousands
      const page: { data: Receiver[]; next_cursor: string | null } = await this.api.getBody(
        '/api/v1/receivers', { limit: 500, cursor }, signal);
      all.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    return all;
  }

  createReceiver(doc: Record<string, unknown>): Promise<Receiver> {
    return this.api.post<Receiver>('/api/v1/receivers', doc);
  }

  replaceReceiver(name: string, version: number, doc: Record<string, unknown>): Promise<Receiver> {
    return this.api.put<Receiver>(`/api/v1/receivers/${encodeURIComponent(name)}`, { ...doc, version });
  }

  deleteReceiver(name: string, version: number): Promise<void> {
    return this.api.delete(`/api/v1/receivers/${encodeURIComponent(name)}?version=${version}`);
  }

  testReceiver(name: string): Promise<TestSend[]> {
    return this.api.post<TestSend[]>(`/api/v1/receivers/${encodeURIComponent(name)}/test`);
  }

  tree(signal?: AbortSignal): Promise<RoutingTree> {
    return this.api.get<RoutingTree>('/api/v1/routing/tree', undefined, signal);
  }

  replaceTree(route: unknown, version: number): Promise<RoutingTree> {
    return this.api.put<RoutingTree>('/api/v1/routing/tree', { route, version });
  }
}
