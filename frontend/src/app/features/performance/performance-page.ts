import { ChangeDetectionStrategy, Component, computed, effect, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { ActivatedRoute, Router } from '@angular/router';
import { MetricsQuery } from '../../core/query/query-backend';
import { TimeRange } from '../../core/time/time-range';
import { ChartMode } from '../../shared/time-series-chart';
import { TimeRangePicker } from '../../shared/time-range-picker';
import { QueryEditor } from './query-editor';
import { QueryPanel } from './query-panel';
import { SaveToDashboard } from './save-to-dashboard';
import { Session } from '../../core/auth/session';
import { Permission } from '../../core/auth/me';
import { DEFAULT_PANEL, ExplorerState, ViewKind, stateFromParams, stateToParams } from './url-state';

/**
 * The metrics explorer: PromQL queries (with completion), a time range with its zone, line,
 * area or stacked charts with one crosshair across panels, a legend to filter, a table
 * view. All of it lives in the URL: editing changes a draft, "Run" (or Ctrl+Enter)
 * writes it to the address, and the panels follow the address.
 */
@Component({
  selector: 'oe-performance-page',
  imports: [QueryEditor, QueryPanel, SaveToDashboard, TimeRangePicker],
  templateUrl: './performance-page.html',
  styles: `
    .query { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: end; margin-bottom: 0.5rem; }
    .panel { margin-bottom: 0.75rem; }
    fieldset { border: none; padding: 0; margin: 0; display: flex; gap: 0.25rem; align-items: end; }
    legend { font-size: 0.9rem; color: var(--oe-muted); margin-bottom: 0.2rem; }
    fieldset button[aria-pressed=true] { background: var(--oe-surface-2); color: var(--oe-accent); font-weight: 600; }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PerformancePage {
  private readonly router = inject(Router);
  private readonly route = inject(ActivatedRoute);
  private readonly params = toSignal(this.route.queryParams, { initialValue: this.route.snapshot.queryParams });
  protected readonly state = computed(() => stateFromParams(this.params()));
  /** The queries as being edited, before "Run". */
  protected readonly drafts = signal<MetricsQuery[]>([]);
  protected readonly session = inject(Session);
  protected readonly P = Permission;
  protected readonly saving = signal(false);

  constructor() {
    effect(() => this.drafts.set(this.state().panels.map((p) => ({ ...p }))));
  }

  private go(change: Partial<ExplorerState>): void {
    void this.router.navigate([], { queryParams: stateToParams({ ...this.state(), ...change }) });
  }

  protected editDraft(i: number, change: Partial<MetricsQuery>): void {
    this.drafts.update((d) => d.map((p, j) => (j === i ? { ...p, ...change } : p)));
  }

  protected run(): void {
    this.go({ panels: this.drafts().filter((p) => p.expr.trim()) });
  }

  protected addPanel(): void {
    this.drafts.update((d) => [...d, { ...DEFAULT_PANEL, expr: '' }]);
  }

  protected removePanel(i: number): void {
    const rest = this.drafts().filter((_, j) => j !== i);
    this.drafts.set(rest);
    this.go({ panels: rest.filter((p) => p.expr.trim()) });
  }

  protected setRange(range: TimeRange): void {
    this.go({ range });
  }

  protected setMode(mode: ChartMode): void {
    this.go({ mode });
  }

  protected setView(view: ViewKind): void {
    this.go({ view });
  }

  protected setStep(step: string): void {
    this.go({ step: step.trim() || 'auto' });
  }
}
