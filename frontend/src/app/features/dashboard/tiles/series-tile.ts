import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, resource } from '@angular/core';
import { ApiClient } from '../../../core/api/api-client';
import { ProblemBanner } from '../../../shared/problem-banner';
import { resourceProblem } from '../../../shared/action';

interface SeriesAnswer {
  series: { name: string; last_seen_ms: number | null }[];
}

export const ACTIVE_WINDOW_MS = 5 * 60_000;
const REFRESH_MS = 30_000;

/**
 * How many series receive samples: those seen in the last 5 minutes, of all known, and
 * the metrics with the most active series. (The API has no ingest-rate or consumer-lag
 * figure yet; this tile shows what `/api/v1/series` tells.)
 */
@Component({
  selector: 'oe-series-tile',
  imports: [ProblemBanner],
  template: `
    <oe-problem [problem]="problem()" />
    @if (series.hasValue()) {
      <div class="pair">
        <div><span class="big">{{ stats().active }}</span><span class="muted small">active series (5 min)</span></div>
        <div><span class="big">{{ stats().total }}</span><span class="muted small">known series</span></div>
      </div>
      <ul class="list" tabindex="0">
        @for (m of stats().top; track m.name) { <li><code>{{ m.name }}</code><span>{{ m.count }}</span></li> }
      </ul>
    } @else if (series.isLoading()) {
      <p class="muted">Loading…</p>
    }
  `,
  styleUrl: './tile.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SeriesTile {
  private readonly api = inject(ApiClient);
  protected readonly series = resource({
    loader: ({ abortSignal }) =>
      this.api.getBody<SeriesAnswer>('/api/v1/series', { 'match[]': ['{__name__=~".+"}'], limit: 100_000 }, abortSignal),
  });
  protected readonly problem = computed(() => resourceProblem(this.series));
  protected readonly stats = computed(() => {
    const all = this.series.hasValue() ? this.series.value().series : [];
    const since = Date.now() - ACTIVE_WINDOW_MS;
    const active = all.filter((s) => (s.last_seen_ms ?? 0) >= since);
    const perName = new Map<string, number>();
    for (const s of active) perName.set(s.name, (perName.get(s.name) ?? 0) + 1);
    const top = [...perName].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([name, count]) => ({ name, count }));
    return { active: active.length, total: all.length, top };
  });

  constructor() {
    const timer = setInterval(() => this.series.reload(), REFRESH_MS);
    inject(DestroyRef).onDestroy(() => clearInterval(timer));
  }
}
