import { ChangeDetectionStrategy, Component, computed, inject, resource, signal } from '@angular/core';
import { ApiClient } from '../../core/api/api-client';
import { resourceProblem } from '../../shared/action';
import { ProblemBanner } from '../../shared/problem-banner';
import { Badge } from '../../shared/badges';
import { SettingsNav } from './settings-nav';

interface Attempt {
  number: number;
  at: string;
  outcome: string;
  status_code: number | null;
  detail: string;
  duration_ms: number;
}

export interface Delivery {
  idempotency_key: string;
  status: string;
  receiver: string;
  channel: string;
  channel_type: string;
  group_key: string;
  alerts: string[];
  notification_at: string;
  created_at: string;
  updated_at: string;
  attempts: Attempt[];
}

/** The delivery audit (every notification, every attempt) and the configured receivers. */
@Component({
  selector: 'oe-notifications-page',
  imports: [ProblemBanner, Badge, SettingsNav],
  templateUrl: './notifications-page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class NotificationsPage {
  private readonly api = inject(ApiClient);
  protected readonly status = signal('');
  protected readonly receiver = signal('');
  protected readonly deliveries = resource({
    params: () => ({ status: this.status(), receiver: this.receiver() }),
    loader: ({ params, abortSignal }) =>
      this.api.get<Delivery[]>('/api/v1/notifications/deliveries', { status: params.status ? [params.status] : [], receiver: params.receiver, limit: 200 }, abortSignal),
  });
  protected readonly receivers = resource({
    loader: ({ abortSignal }) => this.api.get<unknown[]>('/api/v1/notifications/receivers', undefined, abortSignal),
  });
  protected readonly problem = computed(() => resourceProblem(this.deliveries) ?? resourceProblem(this.receivers));

  protected describe(r: unknown): string {
    if (typeof r === 'object' && r !== null) {
      const o = r as Record<string, unknown>;
      const channels = Array.isArray(o['channels']) ? (o['channels'] as unknown[]).map((c) => (typeof c === 'object' && c ? (c as Record<string, unknown>)['type'] ?? JSON.stringify(c) : String(c))).join(', ') : '';
      return `${String(o['name'] ?? '')}${channels ? ` (${channels})` : ''}`;
    }
    return String(r);
  }
}
