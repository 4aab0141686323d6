import { ChangeDetectionStrategy, Component, computed } from '@angular/core';
import { LiveQuery } from '../../../core/query/live-query';
import { SeriesData } from '../../../core/query/query-backend';
import { formatValue } from '../../../core/format';
import { ProblemBanner } from '../../../shared/problem-banner';
import { TimeSeriesChart } from '../../../shared/time-series-chart';

const RANGE = { from: 'now-15m', to: 'now', tz: 'browser' };

function latest(s: SeriesData | undefined): number | null {
  if (!s) return null;
  for (let i = s.v.length - 1; i >= 0; i--) if (s.v[i] !== null) return s.v[i];
  return null;
}

/** Each reporting host: CPU (busiest core average) with a sparkline, memory in use; live. */
@Component({
  selector: 'oe-hosts-tile',
  imports: [ProblemBanner, TimeSeriesChart],
  template: `
    <oe-problem [problem]="cpu.problem() ?? memory.problem()" />
    @if (rows().length) {
      <div class="table-wrap" tabindex="0">
        <table>
          <thead><tr><th scope="col">Host</th><th scope="col">CPU, 15 min</th><th scope="col">CPU</th><th scope="col">Memory</th></tr></thead>
          <tbody>
            @for (row of rows(); track row.host) {
              <tr>
                <th scope="row">{{ row.host }}</th>
                <td class="spark"><oe-time-series-chart [series]="[row.cpuSeries]" [compact]="true" [height]="28"
                                                        unit="ratio" [label]="'CPU of ' + row.host" /></td>
                <td>{{ row.cpu }}</td>
                <td>{{ row.memory }}</td>
              </tr>
            }
          </tbody>
        </table>
      </div>
    } @else if (cpu.loading()) {
      <p class="muted">Loading…</p>
    } @else {
      <p class="muted">No host reports metrics yet.</p>
    }
  `,
  styleUrl: './tile.css',
  styles: `.spark { width: 40%; min-width: 6rem; }`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class HostsTile {
  protected readonly cpu = new LiveQuery(() => ({
    query: { expr: 'max by (host) (avg_over_time(system_cpu_utilization_ratio{cpu="total"}[15s]))' },
    range: RANGE,
    stepMs: 15_000,
  }));
  protected readonly memory = new LiveQuery(() => ({
    query: { expr: 'max by (host) (system_memory_utilization_ratio)' },
    range: RANGE,
    stepMs: 15_000,
  }));
  protected readonly rows = computed(() => {
    const mem = new Map(this.memory.data().map((s) => [s.labels['host'], s]));
    return this.cpu.data().map((s) => ({
      host: s.labels['host'] ?? '(no host label)',
      cpuSeries: s,
      cpu: formatValue(latest(s), 'ratio'),
      memory: formatValue(latest(mem.get(s.labels['host'])), 'ratio'),
    }));
  });
}
