import { ChangeDetectionStrategy, Component, computed, inject, resource } from '@angular/core';
import { RouterLink } from '@angular/router';
import { reloadOnAlerts } from '../../../core/live/live-refresh';
import { AlertsApi, alertName } from '../../../core/model/alerts';
import { ProblemBanner } from '../../../shared/problem-banner';
import { Badge } from '../../../shared/badges';
import { resourceProblem } from '../../../shared/action';

/** Firing and pending alerts, the latest firing ones listed; live. */
@Component({
  selector: 'oe-alerts-tile',
  imports: [RouterLink, ProblemBanner, Badge],
  template: `
    <oe-problem [problem]="problem()" />
    @if (alerts.hasValue()) {
      <div class="pair">
        <div><a class="big" routerLink="/alerts">{{ firing().length }}</a><span class="muted small">firing</span></div>
        <div><span class="big">{{ pending() }}</span><span class="muted small">pending</span></div>
      </div>
      <ul class="list" tabindex="0">
        @for (a of firing().slice(0, 6); track a.fingerprint) {
          <li><a [routerLink]="['/alerts', a.fingerprint]">{{ name(a) }}</a>
            @if (a.labels['severity']) { <oe-badge [text]="a.labels['severity']" /> }</li>
        }
      </ul>
    } @else if (alerts.isLoading()) {
      <p class="muted">Loading…</p>
    }
  `,
  styleUrl: './tile.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AlertsTile {
  private readonly api = inject(AlertsApi);
  protected readonly alerts = resource({ loader: ({ abortSignal }) => this.api.alerts(['firing', 'pending'], abortSignal) });
  protected readonly problem = computed(() => resourceProblem(this.alerts));
  protected readonly firing = computed(() =>
    (this.alerts.hasValue() ? this.alerts.value() : [])
      .filter((a) => a.state === 'firing')
      .sort((a, b) => (b.firedAt ?? '').localeCompare(a.firedAt ?? '')));
  protected readonly pending = computed(() =>
    (this.alerts.hasValue() ? this.alerts.value() : []).filter((a) => a.state === 'pending').length);
  protected readonly name = alertName;

  constructor() {
    reloadOnAlerts(() => this.alerts.reload());
  }
}
