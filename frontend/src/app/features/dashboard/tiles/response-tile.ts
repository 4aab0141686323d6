import { ChangeDetectionStrategy, Component, computed, inject, resource } from '@angular/core';
import { reloadOnIncidents } from '../../../core/live/live-refresh';
import { IncidentsApi, mean } from '../../../core/model/incidents';
import { formatDurationMs } from '../../../core/format';
import { ProblemBanner } from '../../../shared/problem-banner';
import { resourceProblem } from '../../../shared/action';

export const WEEK_MS = 7 * 86_400_000;

/** Mean time to acknowledge and to resolve over the incidents opened in the last 7 days. */
@Component({
  selector: 'oe-response-tile',
  imports: [ProblemBanner],
  template: `
    <oe-problem [problem]="problem()" />
    @if (incidents.hasValue()) {
      <div class="pair">
        <div><span class="big">{{ fmt(stats().mtta) }}</span><span class="muted small">MTTA</span></div>
        <div><span class="big">{{ fmt(stats().mttr) }}</span><span class="muted small">MTTR</span></div>
      </div>
      <p class="muted small">over {{ stats().count }} incidents opened in the last 7 days</p>
    } @else if (incidents.isLoading()) {
      <p class="muted">Loading…</p>
    }
  `,
  styleUrl: './tile.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ResponseTile {
  private readonly api = inject(IncidentsApi);
  protected readonly incidents = resource({ loader: ({ abortSignal }) => this.api.list([], 1000, abortSignal) });
  protected readonly problem = computed(() => resourceProblem(this.incidents));
  protected readonly stats = computed(() => {
    const since = Date.now() - WEEK_MS;
    const recent = (this.incidents.hasValue() ? this.incidents.value() : []).filter((i) => i.opened_at_ms >= since);
    return { count: recent.length, mtta: mean(recent.map((i) => i.mtta_ms)), mttr: mean(recent.map((i) => i.mttr_ms)) };
  });
  protected readonly fmt = formatDurationMs;

  constructor() {
    reloadOnIncidents(() => this.incidents.reload(), 5_000);
  }
}
