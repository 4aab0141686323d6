import { ChangeDetectionStrategy, Component, computed, inject, resource, signal } from '@angular/core';
import { KeyValuePipe } from '@angular/common';
import { RouterLink } from '@angular/router';
import { reloadOnAlerts } from '../../core/live/live-refresh';
import { AlertsApi, AlertState, alertName } from '../../core/model/alerts';
import { ProblemBanner } from '../../shared/problem-banner';
import { Badge } from '../../shared/badges';
import { resourceProblem } from '../../shared/action';
import { groupAlerts, matchesAll, parseMatchers } from './grouping';

/** Firing and pending alerts, filtered by matchers and grouped by labels; live. */
@Component({
  selector: 'oe-alerts-page',
  imports: [RouterLink, KeyValuePipe, ProblemBanner, Badge],
  templateUrl: './alerts-page.html',
  styles: `
    .group { margin-bottom: 0.75rem; }
    .group h2 { font-size: 0.95rem; display: flex; gap: 0.5rem; flex-wrap: wrap; align-items: center; }
    .labels code { margin-right: 0.35rem; }
    .filter { flex: 1; min-width: min(100%, 18rem); }
    .filter input { width: 100%; font-family: ui-monospace, monospace; }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AlertsPage {
  private readonly api = inject(AlertsApi);
  protected readonly states = signal<AlertState[]>(['firing', 'pending']);
  protected readonly alerts = resource({
    params: () => this.states(),
    loader: ({ params, abortSignal }) => this.api.alerts(params, abortSignal),
  });
  protected readonly problem = computed(() => resourceProblem(this.alerts));
  protected readonly filterText = signal('');
  protected readonly groupBy = signal('alertname');
  protected readonly matchers = computed(() => parseMatchers(this.filterText()));
  protected readonly groups = computed(() => {
    const list = this.alerts.hasValue() ? this.alerts.value() : [];
    const m = this.matchers() ?? [];
    const by = this.groupBy().split(',').map((s) => s.trim()).filter(Boolean);
    return groupAlerts(list.filter((a) => matchesAll(a, m)), by);
  });
  protected readonly name = alertName;

  constructor() {
    reloadOnAlerts(() => this.alerts.reload());
  }

  protected toggleState(state: AlertState, on: boolean): void {
    this.states.update((s) => (on ? [...s, state] : s.filter((x) => x !== state)));
  }

  protected entries(labels: Record<string, string>): [string, string][] {
    return Object.entries(labels).filter(([k]) => k !== 'alertname');
  }
}
