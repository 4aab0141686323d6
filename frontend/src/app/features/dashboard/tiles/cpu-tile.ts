import { ChangeDetectionStrategy, Component, computed, input, signal } from '@angular/core';
import { LiveQuery } from '../../../core/query/live-query';
import { ProblemBanner } from '../../../shared/problem-banner';
import { TimeSeriesChart } from '../../../shared/time-series-chart';
import { SeriesLegend } from '../../../shared/series-legend';
import { effectiveZone } from '../../../core/time/time-range';

export const CPU_SELECTOR = 'system_cpu_utilization_ratio{cpu="total"}';

/** This host's CPU (every host the local agents report), last 15 minutes, live. */
@Component({
  selector: 'oe-cpu-tile',
  imports: [ProblemBanner, TimeSeriesChart, SeriesLegend],
  template: `
    <oe-problem [problem]="query.problem()" />
    @if (query.data().length) {
      <oe-time-series-chart [series]="query.data()" unit="ratio" [height]="chartHeight()" [zone]="zone"
                            syncKey="dashboard" label="CPU utilisation per host, last 15 minutes"
                            (cursorTime)="cursor.set($event)" />
      <oe-series-legend [series]="query.data()" unit="ratio" [cursorTime]="cursor()" [hidden]="hidden()"
                        (hiddenChange)="hidden.set($event)" />
    } @else if (query.loading()) {
      <p class="muted">Loading…</p>
    } @else {
      <p class="muted">No CPU samples yet: is the local agent running (<code>OBSERVER_AGENT</code>)?</p>
    }
  `,
  styleUrl: './tile.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CpuTile {
  /** Rows of the grid the tile spans (the chart grows with it). */
  readonly rows = input(2);
  protected readonly zone = effectiveZone('browser');
  protected readonly cursor = signal<number | null>(null);
  protected readonly hidden = signal<ReadonlySet<string>>(new Set());
  protected readonly chartHeight = computed(() => Math.max(90, this.rows() * 190 - 150));
  protected readonly query = new LiveQuery(() => ({
    query: { expr: CPU_SELECTOR },
    range: { from: 'now-15m', to: 'now', tz: 'browser' },
    stepMs: 5_000,
  }));
}
