import { ChangeDetectionStrategy, Component, computed, input, output, signal } from '@angular/core';
import { SeriesData } from '../core/query/query-backend';
import { formatValue, seriesLabel } from '../core/format';
import { seriesColor } from './time-series-chart';

/**
 * A chart's legend outside the canvas: filterable, each series a toggle button (hide /
 * show; with Shift or the "only" button, show only it), and the value under the
 * crosshair (or the latest) beside each.
 */
@Component({
  selector: 'oe-series-legend',
  template: `
    @if (series().length > 1) {
      <div class="tools">
        <input type="search" aria-label="Filter the legend" placeholder="Filter series"
               [value]="filter()" (input)="filter.set($any($event.target).value)">
        <button type="button" (click)="hiddenChange.emit(emptySet)">Show all</button>
      </div>
    }
    <ul class="legend">
      @for (row of rows(); track row.series.key) {
        <li [class.off]="hidden().has(row.series.key)">
          <button type="button" class="toggle" [attr.aria-pressed]="!hidden().has(row.series.key)"
                  (click)="toggle(row.series.key, $event)">
            <span class="swatch" [style.background]="row.color" aria-hidden="true"></span>
            <span class="name">{{ row.name }}</span>
          </button>
          <span class="value">{{ row.value }}</span>
          <button type="button" class="only" (click)="only(row.series.key)"
                  [attr.aria-label]="'Show only ' + row.name">only</button>
        </li>
      }
    </ul>
  `,
  styles: `
    .tools { display: flex; gap: 0.5rem; margin: 0.5rem 0; }
    .tools input { flex: 1; }
    .legend { list-style: none; margin: 0; padding: 0; max-height: 14rem; overflow: auto; font-size: 0.85rem; }
    li { display: flex; align-items: center; gap: 0.5rem; }
    li.off .name { text-decoration: line-through; color: var(--oe-muted); }
    .toggle { border: none; background: none; padding: 0.15rem 0; min-height: 1.75rem; text-align: left; flex: 1; min-width: 0; }
    .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-family: ui-monospace, monospace; }
    .swatch { width: 0.8rem; height: 0.8rem; border-radius: 2px; flex: none; }
    .value { font-variant-numeric: tabular-nums; }
    .only { min-height: 1.75rem; padding: 0 0.4rem; font-size: 0.8rem; }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SeriesLegend {
  readonly series = input.required<readonly SeriesData[]>();
  readonly hidden = input<ReadonlySet<string>>(new Set());
  /** The point under the crosshair, as an index into the chart's shared time axis. */
  readonly cursorTime = input<number | null>(null);
  readonly unit = input('');
  readonly hiddenChange = output<ReadonlySet<string>>();
  protected readonly filter = signal('');
  protected readonly emptySet: ReadonlySet<string> = new Set();

  protected readonly rows = computed(() => {
    const needle = this.filter().toLowerCase();
    const at = this.cursorTime();
    return this.series()
      .map((s, i) => ({ series: s, color: seriesColor(i), name: seriesLabel(s.labels) }))
      .filter((r) => !needle || r.name.toLowerCase().includes(needle))
      .map((r) => ({ ...r, value: formatValue(valueAt(r.series, at), this.unit()) }));
  });

  protected toggle(key: string, event: MouseEvent): void {
    if (event.shiftKey) {
      this.only(key);
      return;
    }
    const next = new Set(this.hidden());
    if (next.has(key)) next.delete(key);
    else next.add(key);
    this.hiddenChange.emit(next);
  }

  protected only(key: string): void {
    this.hiddenChange.emit(new Set(this.series().map((s) => s.key).filter((k) => k !== key)));
  }
}

/** The value at time `atMs` (or the latest when null). */
export function valueAt(series: SeriesData, atMs: number | null): number | null {
  if (!series.t.length) return null;
  if (atMs === null) return series.v[series.v.length - 1];
  const i = series.t.indexOf(atMs);
  return i < 0 ? null : series.v[i];
}
