import { ChangeDetectionStrategy, Component, computed, inject, input, resource, signal } from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import { Permission } from '../../core/auth/me';
import { Session } from '../../core/auth/session';
import { Dashboard, DashboardsApi } from '../../core/model/dashboards';
import { ActionState, resourceProblem } from '../../shared/action';
import { ProblemBanner } from '../../shared/problem-banner';
import { exportFileName } from './import';
import { DashboardPanelView } from './panel-view';

/** One saved dashboard: its panels drawn, "Export JSON", and for writers removing a panel
 * or the dashboard (each write names the version read: 409 if someone changed it). */
@Component({
  selector: 'oe-saved-dashboard-page',
  imports: [RouterLink, ProblemBanner, DashboardPanelView],
  template: `
    <p><a routerLink="/dashboards">← Dashboards</a></p>
    <oe-problem [problem]="problem()" />
    @if (dashboard(); as d) {
      <div class="toolbar">
        <h1 style="margin:0 auto 0 0">{{ d.title }}</h1>
        <button type="button" (click)="exportJson(d)" [disabled]="exporting.busy()">Export JSON</button>
        @if (session.can(P.manageDashboards)) {
          <button type="button" class="danger" (click)="remove(d)" [disabled]="action.busy()">Delete dashboard</button>
        }
      </div>
      @if (d.description) { <p class="muted">{{ d.description }}</p> }
      <oe-problem [problem]="exporting.problem()" />
      <oe-problem [problem]="action.problem()" />
      @for (p of d.panels; track $index; let i = $index) {
        <section class="card panel" [attr.aria-label]="'Panel ' + p.title">
          <oe-dashboard-panel [panel]="p" />
          @if (session.can(P.manageDashboards)) {
            <button type="button" (click)="removePanel(d, i)" [disabled]="action.busy()"
                    [attr.aria-label]="'Remove panel ' + p.title">Remove panel</button>
          }
        </section>
      } @empty {
        <p class="muted">No panels yet: save one from the <a routerLink="/performance">Performance</a> page.</p>
      }
    } @else if (found.isLoading()) {
      <p class="muted">Loading…</p>
    }
  `,
  styles: `.panel { margin-bottom: 0.75rem; }`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SavedDashboardPage {
  private readonly api = inject(DashboardsApi);
  private readonly router = inject(Router);
  protected readonly session = inject(Session);
  protected readonly P = Permission;
  /** The route's `:id`. */
  readonly id = input.required<string>();
  protected readonly found = resource({
    params: () => ({ id: this.id() }),
    loader: ({ params, abortSignal }) => this.api.get(params.id, abortSignal),
  });
  private readonly changed = signal<Dashboard | null>(null);
  protected readonly dashboard = computed(() => {
    const changed = this.changed();
    if (changed && changed.id === this.id()) return changed;
    return this.found.hasValue() ? this.found.value() : null;
  });
  protected readonly problem = computed(() => resourceProblem(this.found));
  protected readonly action = new ActionState();
  protected readonly exporting = new ActionState();

  protected async exportJson(d: Dashboard): Promise<void> {
    const doc = await this.exporting.run(() => this.api.export(d.id));
    if (!doc) return;
    const url = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = exportFileName(d.title);
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }

  protected async removePanel(d: Dashboard, index: number): Promise<void> {
    const saved = await this.action.run(() => this.api.replace({ ...d, panels: d.panels.filter((_, j) => j !== index) }));
    if (saved) this.changed.set(saved);
  }

  protected async remove(d: Dashboard): Promise<void> {
    if (!confirm(`Delete the dashboard ${d.title}?`)) return;
    await this.action.run(() => this.api.delete(d));
    if (!this.action.problem()) void this.router.navigate(['/dashboards']);
  }
}
