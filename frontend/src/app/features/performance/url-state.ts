import { Params } from '@angular/router';
import { MetricsQuery } from '../../core/query/query-backend';
import { ChartMode } from '../../shared/time-series-chart';
import { TimeRange, parseDurationMs, rangeFromParams } from '../../core/time/time-range';

export type ViewKind = 'chart' | 'table';

/** Everything the Performance page shows, as its URL keeps it (a link reproduces it). */
export interface ExplorerState {
  panels: MetricsQuery[];
  range: TimeRange;
  mode: ChartMode;
  view: ViewKind;
  /** A step like `30s`, or `auto` (about 500 points over the range). */
  step: string;
}

export const DEFAULT_PANEL: MetricsQuery = { expr: 'system_cpu_utilization_ratio{cpu="total"}' };

function readPanel(text: string): MetricsQuery | null {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null || typeof (v as MetricsQuery).expr !== 'string') return null;
    const p = v as Record<string, unknown>;
    const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
    return { expr: p['expr'] as string, fn: str(p['fn']), by: str(p['by']) ?? null, agg: str(p['agg']) };
  } catch {
    return null;
  }
}

export function stateFromParams(params: Params): ExplorerState {
  const raw = params['q'];
  const list: string[] = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const panels = list.map(readPanel).filter((p): p is MetricsQuery => p !== null);
  const mode = params['mode'];
  const step = params['step'];
  return {
    panels: panels.length ? panels : [DEFAULT_PANEL],
    range: rangeFromParams(params),
    mode: mode === 'area' || mode === 'stacked' ? mode : 'line',
    view: params['view'] === 'table' ? 'table' : 'chart',
    step: typeof step === 'string' && parseDurationMs(step) !== null ? step : 'auto',
  };
}

export function stateToParams(state: ExplorerState): Params {
  return {
    q: state.panels.map((p) => JSON.stringify(compact(p))),
    from: state.range.from,
    to: state.range.to,
    tz: state.range.tz,
    mode: state.mode,
    view: state.view,
    step: state.step,
  };
}

function compact(p: MetricsQuery): Record<string, string> {
  const out: Record<string, string> = { expr: p.expr };
  if (p.fn) out['fn'] = p.fn;
  if (p.by !== null && p.by !== undefined) out['by'] = p.by;
  if (p.agg && p.by !== null && p.by !== undefined) out['agg'] = p.agg;
  return out;
}
