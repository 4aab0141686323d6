import { ChangeDetectionStrategy, Component, computed, inject, resource } from '@angular/core';
import { RouterLink } from '@angular/router';
import { reloadOnIncidents } from '../../../core/live/live-refresh';
import { ACTIVE_STATUSES, IncidentsApi, SEVERITIES } from '../../../core/model/incidents';
import { ProblemBanner } from '../../../shared/problem-banner';
import { resourceProblem } from '../../../shared/action';

/** Open (triggered, acknowledged, mitigated) incidents counted by severity; live. */
@Component({
  selector: 'oe-incidents-tile',
  imports: [RouterLink, ProblemBanner],
  template: `
    <oe-problem [problem]="problem()" />
    @if (incidents.hasValue()) {
      <a class="big" routerLink="/incidents" [queryParams]="{ status: 'open' }">{{ incidents.value().length }} open</a>
      <ul class="sev">
        @for (row of counts(); track row.severity) {
          <li [attr.data-sev]="row.severity"><span>{{ row.severity }}</span><strong>{{ row.count }}</strong></li>
        }
      </ul>
      <p class="muted small">{{ unacknowledged() }} not acknowledged</p>
    } @else if (incidents.isLoading()) {
      <p class="muted">Loading…</p>
    }
  `,
  styleUrl: './tile.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class IncidentsTile {
  private readonly api = inject(IncidentsApi);
  protected readonly incidents = resource({ loader: ({ abortSignal }) => this.api.list(ACTIVE_STATUSES, 1000, abortSignal) });
  protected readonly problem = computed(() => resourceProblem(this.incidents));
  protected readonly counts = computed(() => {
    const list = this.incidents.hasValue() ? this.incidents.value() : [];
    return SEVERITIES.map((severity) => ({ severity, count: list.filter((i) => i.severity === severity).length }));
  });
  protected readonly unacknowledged = computed(() =>
    this.incidents.hasValue() ? this.incidents.value().filter((i) => i.status === 'triggered').length : 0);

  constructor() {
    reloadOnIncidents(() => this.incidents.reload());
  }
}
