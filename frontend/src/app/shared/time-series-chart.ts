import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  afterNextRender,
  computed,
  effect,
  inject,
  input,
  output,
  viewChild,
  DestroyRef,
} from '@angular/core';
import uPlot from 'uplot';
import { Theme } from '../core/theme/theme';
import { SeriesData } from '../core/query/query-backend';
import { formatValue, seriesLabel } from '../core/format';

export type ChartMode = 'line' | 'area' | 'stacked';

export const PALETTE = [
  '#3b82f6', '#f97316', '#10b981', '#e11d48', '#8b5cf6', '#eab308', '#06b6d4', '#ec4899', '#84cc16', '#64748b',
];

/** Above this many points a chart draws thinner lines (see options()). */
const DENSE_POINTS = 20_000;

export function seriesColor(index: number): string {
  return PALETTE[index % PALETTE.length];
}

/** Series on one shared time axis (seconds, as uPlot wants them); a missing point is null. */
export function alignSeries(series: readonly SeriesData[]): [number[], ...(number | null)[][]] {
  const times = new Set<number>();
  for (const s of series) for (const t of s.t) times.add(t);
  const xs = [...times].sort((a, b) => a - b);
  const index = new Map(xs.map((t, i) => [t, i]));
  const ys = series.map((s) => {
    const row: (number | null)[] = new Array(xs.length).fill(null);
    for (let i = 0; i < s.t.length; i++) {
      const v = s.v[i];
      row[index.get(s.t[i])!] = v === null || !Number.isFinite(v) ? null : v;
    }
    return row;
  });
  return [xs.map((t) => t / 1000), ...ys];
}

/** Each row the running total of the visible rows up to it (stacked charts; a gap counts as 0). */
export function stackRows(rows: (number | null)[][], visible: readonly boolean[]): (number | null)[][] {
  const out: (number | null)[][] = [];
  let running: number[] | null = null;
  rows.forEach((row, i) => {
    if (!visible[i]) {
      out.push(row.map(() => null));
      return;
    }
    const base = running;
    const next = row.map((v, j) => (base ? base[j] : 0) + (v ?? 0));
    out.push(next);
    running = next;
  });
  return out;
}

/**
 * A time-series chart on a canvas (uPlot: 50 series of 2,000 points redraw in a few ms).
 * Lines, areas or stacked areas; charts sharing a `syncKey` share one crosshair; the
 * hovered time is reported so a legend outside the canvas can show its values.
 * New values are pushed with `setData`; the plot is rebuilt only when the series, the
 * mode, the visibility or the theme change.
 */
@Component({
  selector: 'oe-time-series-chart',
  // data-points / data-last-ms: what the canvas shows, for the e2e tier and bench/frontend.py
  // (a canvas has no text to read).
  template: `<div #plot class="plot" role="img" [attr.aria-label]="label()" [attr.data-points]="pointCount()"
                  [attr.data-last-ms]="lastMs()"></div>`,
  styles: `
    :host { display: block; min-width: 0; }
    .plot { width: 100%; }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TimeSeriesChart {
  readonly series = input.required<readonly SeriesData[]>();
  readonly mode = input<ChartMode>('line');
  readonly hidden = input<ReadonlySet<string>>(new Set());
  readonly unit = input('');
  readonly syncKey = input<string | null>(null);
  readonly zone = input('UTC');
  readonly height = input(260);
  /** A sparkline: no axes, no crosshair. */
  readonly compact = input(false);
  readonly label = input('time series chart');
  /** The time (ms) under the crosshair; null when the pointer left the chart. */
  readonly cursorTime = output<number | null>();

  private readonly theme = inject(Theme);
  private readonly host = inject(ElementRef<HTMLElement>);
  private readonly plotEl = viewChild.required<ElementRef<HTMLDivElement>>('plot');
  private plot: uPlot | null = null;
  private shape = '';
  private rendered = false;

  protected readonly pointCount = computed(() => this.series().reduce((n, s) => n + s.t.length, 0));
  protected readonly lastMs = computed(() => Math.max(0, ...this.series().map((s) => s.t[s.t.length - 1] ?? 0)));
  private readonly visible = computed(() => this.series().map((s) => !this.hidden().has(s.key)));
  private readonly data = computed(() => {
    const [xs, ...rows] = alignSeries(this.series());
    return [xs, ...(this.mode() === 'stacked' ? stackRows(rows, this.visible()) : rows)] as uPlot.AlignedData;
  });

  constructor() {
    afterNextRender(() => {
      this.rendered = true;
      this.draw();
    });
    effect(() => {
      this.data();
      this.visible();
      this.theme.effective();
      this.mode();
      this.zone();
      if (this.rendered) this.draw();
    });
    const resize = typeof ResizeObserver === 'function'
      ? new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: this.height() }))
      : null;
    resize?.observe(this.host.nativeElement);
    inject(DestroyRef).onDestroy(() => {
      resize?.disconnect();
      this.plot?.destroy();
    });
  }

  private width(): number {
    return Math.max(120, this.host.nativeElement.clientWidth || 600);
  }

  private draw(): void {
    const series = this.series();
    const shape = JSON.stringify([
      series.map((s) => s.key), this.visible(), this.mode(), this.theme.effective(), this.zone(), this.unit(),
      this.compact(), this.height(), this.pointCount() > DENSE_POINTS,
    ]);
    if (this.plot && shape === this.shape) {
      this.plot.setData(this.data());
      return;
    }
    this.plot?.destroy();
    this.shape = shape;
    this.plot = new uPlot(this.options(series), this.data(), this.plotEl().nativeElement);
  }

  private options(series: readonly SeriesData[]): uPlot.Options {
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue('--oe-muted').trim() || '#6b7280';
    const grid = css.getPropertyValue('--oe-grid').trim() || 'rgba(128,128,128,0.15)';
    const zone = this.zone();
    const unit = this.unit();
    const mode = this.mode();
    const compact = this.compact();
    // Many points: 1-pixel lines, which the canvas strokes as hairlines (thicker ones are
    // tessellated, several times slower with software rendering).
    const dense = this.pointCount() > DENSE_POINTS;
    const axis = (values: uPlot.Axis['values']): uPlot.Axis => ({
      show: !compact, stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, values,
    });
    return {
      width: this.width(),
      height: this.height(),
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), zone),
      legend: { show: false },
      cursor: compact
        ? { show: false }
        : { sync: this.syncKey() ? { key: this.syncKey()! } : undefined, drag: { x: false, y: false }, points: { size: 6 } },
      scales: { x: { time: true } },
      series: [
        {},
        ...series.map((s, i) => ({
          label: seriesLabel(s.labels),
          stroke: seriesColor(i),
          width: compact ? 1.25 : dense ? 1 : 1.5,
          fill: mode === 'line' ? undefined : `${seriesColor(i)}${mode === 'stacked' ? '66' : '22'}`,
          show: !this.hidden().has(s.key),
          points: { show: false },
        })),
      ],
      axes: [axis(undefined), { ...axis((_u, ticks) => ticks.map((v) => formatValue(v, unit))), size: 64 }],
      hooks: {
        setCursor: [
          (u) => {
            const idx = u.cursor.idx;
            this.cursorTime.emit(idx === null || idx === undefined ? null : Math.round(u.data[0][idx] * 1000));
          },
        ],
      },
    };
  }
}
