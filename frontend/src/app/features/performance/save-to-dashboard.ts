import { ChangeDetectionStrategy, Component, inject, input, resource, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { RouterLink } from '@angular/router';
import { Dashboard, DashboardPanel, DashboardsApi } from '../../core/model/dashboards';
import { ActionState } from '../../shared/action';
import { ProblemBanner } from '../../shared/problem-banner';
import { ExplorerState } from './url-state';

/** The Performance page's view as a dashboard panel: its expressions, chart (or table),
 * range with its zone, and step. */
export function panelFromState(state: ExplorerState, title: string): DashboardPanel {
  return {
    title: title.trim(),
    queries: state.panels.map((p) => p.expr.trim()).filter((q) => q),
    chart: state.view === 'table' ? 'table' : state.mode,
    range: { from: state.range.from, to: state.range.to, timezone: state.range.tz },
    step: state.step === 'auto' ? null : state.step,
  };
}

const NEW = '';

/** "Save to dashboard": the view as it is in the address, added as a panel to a new
 * dashboard or to the end of an existing one (written with the version read). */
@Component({
  selector: 'oe-save-to-dashboard',
  imports: [FormsModule, RouterLink, ProblemBanner],
  template: `
    <form class="card" (ngSubmit)="save()" aria-label="Save to dashboard">
      <div class="row">
        <label>Dashboard
          <select name="target" [ngModel]="target()" (ngModelChange)="target.set($event)">
            <option [value]="NEW">New dashboard…</option>
            @for (d of dashboards.hasValue() ? dashboards.value().data : []; track d.id) {
              <option [value]="d.id">{{ d.title }}</option>
            }
          </select>
        </label>
        @if (target() === NEW) {
          <label>Dashboard title <input name="dashboardTitle" required [ngModel]="dashboardTitle()" (ngModelChange)="dashboardTitle.set($event)"></label>
        }
        <label class="wide">Panel title <input name="panelTitle" required [ngModel]="panelTitle()" (ngModelChange)="panelTitle.set($event)"></label>
        <button class="primary" type="submit" [disabled]="saving.busy()">Save panel</button>
      </div>
      @if (missing()) { <p class="problem" role="alert">{{ missing() }}</p> }
      <oe-problem [problem]="saving.problem()" />
      @if (saved(); as d) {
        <p role="status">Saved to <a [routerLink]="['/dashboards', d.id]">{{ d.title }}</a> ({{ d.panels.length }} panel(s)).</p>
      }
    </form>
  `,
  styles: `
    form { margin-bottom: 0.75rem; }
    .wide { flex: 1; min-width: min(100%, 16rem); }
    .wide input { width: 100%; }
    .problem { color: var(--oe-danger); margin: 0.35rem 0 0; }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SaveToDashboard {
  private readonly api = inject(DashboardsApi);
  protected readonly NEW = NEW;
  readonly state = input.required<ExplorerState>();
  protected readonly dashboards = resource({ loader: ({ abortSignal }) => this.api.list(null, abortSignal, 1000) });
  protected readonly target = signal(NEW);
  protected readonly dashboardTitle = signal('');
  protected readonly panelTitle = signal('');
  protected readonly missing = signal('');
  protected readonly saving = new ActionState();
  protected readonly saved = signal<Dashboard | null>(null);

  protected async save(): Promise<void> {
    this.saved.set(null);
    const panel = panelFromState(this.state(), this.panelTitle());
    const target = this.target();
    this.missing.set(!panel.title ? 'Give the panel a title.'
      : target === NEW && !this.dashboardTitle().trim() ? 'Give the new dashboard a title.'
      : !panel.queries.length ? 'Run a query first: there is nothing to save.' : '');
    if (this.missing()) return;
    const done = await this.saving.run(async () => {
      if (target === NEW) {
        return this.api.create({ title: this.dashboardTitle().trim(), description: '', panels: [panel] });
      }
      const current = await this.api.get(target);
      return this.api.replace({ ...current, panels: [...current.panels, panel] });
    });
    if (done) {
      this.saved.set(done);
      this.target.set(done.id);
      this.dashboards.reload();
    }
  }
}
