import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { RouterLink } from '@angular/router';
import { DashboardPanel } from '../../core/model/dashboards';
import { TimeRange } from '../../core/time/time-range';
import { ChartMode } from '../../shared/time-series-chart';
import { QueryPanel } from '../performance/query-panel';
import { stateToParams } from '../performance/url-state';

/** The time range, chart and view a saved panel is drawn with (as the Performance page would). */
export function panelView(p: DashboardPanel): { range: TimeRange; mode: ChartMode; view: 'chart' | 'table'; step: string } {
  return {
    range: { from: p.range.from, to: p.range.to, tz: p.range.timezone || 'browser' },
    mode: p.chart === 'table' ? 'line' : p.chart,
    view: p.chart === 'table' ? 'table' : 'chart',
    step: p.step ?? 'auto',
  };
}

/** One saved panel: each of its expressions drawn with the Performance page's chart (live
 * while its range ends now), and a link that opens it there. */
@Component({
  selector: 'oe-dashboard-panel',
  imports: [QueryPanel, RouterLink],
  template: `
    @let v = view();
    <header>
      <h2>{{ panel().title }}</h2>
      <a [routerLink]="['/performance']" [queryParams]="explore()">Open in Performance</a>
    </header>
    @for (q of panel().queries; track $index) {
      <p class="expr"><code>{{ q }}</code></p>
      <oe-query-panel [panel]="{ expr: q }" [range]="v.range" [step]="v.step" [mode]="v.mode" [view]="v.view" />
    }
  `,
  styles: `
    header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.5rem; justify-content: space-between; }
    h2 { margin: 0; font-size: 1.05rem; }
    .expr { margin: 0.35rem 0 0.1rem; font-size: 0.85rem; overflow-wrap: anywhere; }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DashboardPanelView {
  readonly panel = input.required<DashboardPanel>();
  protected readonly view = computed(() => panelView(this.panel()));
  protected readonly explore = computed(() => {
    const v = this.view();
    return stateToParams({ panels: this.panel().queries.map((expr) => ({ expr })), ...v });
  });
}
