import { ChangeDetectionStrategy, Component, computed, inject, input, resource, signal } from '@angular/core';
import { KeyValuePipe } from '@angular/common';
import { RouterLink } from '@angular/router';
import { Session } from '../../core/auth/session';
import { Permission } from '../../core/auth/me';
import { reloadOnAlerts } from '../../core/live/live-refresh';
import { AlertsApi, Silence, SilenceMatcher, alertName } from '../../core/model/alerts';
import { ProblemBanner } from '../../shared/problem-banner';
import { Badge } from '../../shared/badges';
import { resourceProblem } from '../../shared/action';
import { SilenceForm } from './silence-form';

/** One alert: labels, annotations, its pipeline decisions (silenced, inhibited, grouped,
 * sent and to whom), and "Silence" prefilled with its labels. */
@Component({
  selector: 'oe-alert-detail-page',
  imports: [RouterLink, KeyValuePipe, ProblemBanner, Badge, SilenceForm],
  templateUrl: './alert-detail-page.html',
  styles: `dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 0.75rem; margin: 0; } dt { color: var(--oe-muted); }
    .cols { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 0.75rem; }`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AlertDetailPage {
  private readonly api = inject(AlertsApi);
  protected readonly session = inject(Session);
  protected readonly P = Permission;
  readonly fingerprint = input.required<string>();
  protected readonly alerts = resource({
    params: () => this.fingerprint(),
    loader: ({ abortSignal }) => this.api.alerts([], abortSignal),
  });
  protected readonly alert = computed(() =>
    this.alerts.hasValue() ? this.alerts.value().find((a) => a.fingerprint === this.fingerprint()) ?? null : null);
  protected readonly history = resource({
    params: () => this.fingerprint(),
    loader: ({ params, abortSignal }) => this.api.history(params, abortSignal),
  });
  protected readonly problem = computed(() => resourceProblem(this.alerts) ?? resourceProblem(this.history));
  protected readonly silencing = signal(false);
  protected readonly created = signal<Silence | null>(null);
  protected readonly prefill = computed<SilenceMatcher[]>(() =>
    Object.entries(this.alert()?.labels ?? {}).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })));
  protected readonly name = alertName;

  constructor() {
    reloadOnAlerts(() => {
      this.alerts.reload();
      this.history.reload();
    });
  }

  protected silenced(s: Silence): void {
    this.created.set(s);
    this.silencing.set(false);
    this.history.reload();
  }
}
