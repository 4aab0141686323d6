import { ChangeDetectionStrategy, Component, computed, input, signal } from '@angular/core';
import { LiveQuery } from '../../core/query/live-query';
import { MetricsQuery, SeriesData } from '../../core/query/query-backend';
import { TimeRange, autoStepMs, effectiveZone, formatTime, parseDurationMs, resolveRange } from '../../core/time/time-range';
import { formatValue, seriesLabel } from '../../core/format';
import { ProblemBanner } from '../../shared/problem-banner';
import { ChartMode, TimeSeriesChart } from '../../shared/time-series-chart';
import { SeriesLegend } from '../../shared/series-legend';
import { ViewKind } from './url-state';

function stats(s: SeriesData): { last: number | null; min: number | null; max: number | null; avg: number | null } {
  const xs = s.v.filter((v): v is number => v !== null && Number.isFinite(v));
  if (!xs.length) return { last: null, min: null, max: null, avg: null };
  return { last: xs[xs.length - 1], min: Math.min(...xs), max: Math.max(...xs), avg: xs.reduce((a, b) => a + b, 0) / xs.length };
}

/** One query's answer: a chart (crosshair synced with the other panels) or a table; live
 * while the range ends now. */
@Component({
  selector: 'oe-query-panel',
  imports: [ProblemBanner, TimeSeriesChart, SeriesLegend],
  template: `
    <oe-problem [problem]="query.problem()" />
    <p class="meta muted">
      {{ query.data().length }} series · step {{ stepLabel() }}
      @if (query.updatedAt(); as at) { · updated {{ time(at) }} }
      @if (query.loading()) { · loading… }
    </p>
    @if (view() === 'chart') {
      @if (query.data().length) {
        <oe-time-series-chart [series]="query.data()" [mode]="mode()" [hidden]="hidden()" [zone]="zone()"
                              syncKey="performance" [label]="'Chart of ' + panel().expr" (cursorTime)="cursor.set($event)" />
        <oe-series-legend [series]="query.data()" [hidden]="hidden()" [cursorTime]="cursor()"
                          (hiddenChange)="hidden.set($event)" />
      } @else if (!query.loading()) {
        <p class="muted">No data in this range.</p>
      }
    } @else {
      <div class="table-wrap" tabindex="0">
        <table>
          <thead><tr><th scope="col">Series</th><th scope="col">Last</th><th scope="col">Min</th><th scope="col">Max</th><th scope="col">Avg</th><th scope="col">Points</th></tr></thead>
          <tbody>
            @for (row of rows(); track row.key) {
              <tr><td><code>{{ row.name }}</code></td><td>{{ row.last }}</td><td>{{ row.min }}</td><td>{{ row.max }}</td><td>{{ row.avg }}</td><td>{{ row.points }}</td></tr>
            } @empty {
              <tr><td colspan="6" class="muted">No data in this range.</td></tr>
            }
          </tbody>
        </table>
      </div>
    }
  `,
  styles: `.meta { font-size: 0.85rem; margin: 0 0 0.35rem; }`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class QueryPanel {
  readonly panel = input.required<MetricsQuery>();
  readonly range = input.required<TimeRange>();
  readonly step = input('auto');
  readonly mode = input<ChartMode>('line');
  readonly view = input<ViewKind>('chart');
  protected readonly zone = computed(() => effectiveZone(this.range().tz));
  protected readonly hidden = signal<ReadonlySet<string>>(new Set());
  protected readonly cursor = signal<number | null>(null);
  protected readonly stepMs = computed(
    () => parseDurationMs(this.step()) ?? autoStepMs(resolveRange(this.range(), Date.now())));
  protected readonly stepLabel = computed(() => `${this.stepMs() / 1000}s`);
  protected readonly query = new LiveQuery(() =>
    this.panel().expr.trim() ? { query: this.panel(), range: this.range(), stepMs: this.stepMs() } : null);
  protected readonly rows = computed(() =>
    this.query.data().map((s) => {
      const st = stats(s);
      return {
        key: s.key, name: seriesLabel(s.labels), points: s.t.length,
        last: formatValue(st.last), min: formatValue(st.min), max: formatValue(st.max), avg: formatValue(st.avg),
      };
    }));

  protected time(ms: number): string {
    return formatTime(ms, this.zone(), true);
  }
}
