import { ChangeDetectionStrategy, Component, computed, inject, resource, signal } from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import { Permission } from '../../core/auth/me';
import { Session } from '../../core/auth/session';
import { DashboardSummary, DashboardsApi } from '../../core/model/dashboards';
import { effectiveZone, formatTime } from '../../core/time/time-range';
import { ActionState, resourceProblem } from '../../shared/action';
import { ProblemBanner } from '../../shared/problem-banner';
import { readImport, readText } from './import';

/** The tenant's saved dashboards (panels saved from the Performance page), and "Import JSON". */
@Component({
  selector: 'oe-dashboards-page',
  imports: [RouterLink, ProblemBanner],
  template: `
    <div class="toolbar">
      <h1 style="margin:0 auto 0 0">Dashboards</h1>
      @if (session.can(P.manageDashboards)) {
        <label class="button import">Import JSON…
          <input type="file" accept="application/json,.json" class="sr-only" (change)="importFile($event)">
        </label>
      }
    </div>
    @if (importProblems().length) {
      <div class="problem-list" role="alert">
        <strong>The file cannot be imported:</strong>
        <ul>@for (p of importProblems(); track $index) { <li>{{ p }}</li> }</ul>
      </div>
    }
    <oe-problem [problem]="importing.problem()" />
    <oe-problem [problem]="problem()" />
    <p class="muted">Save panels to a dashboard from the <a routerLink="/performance">Performance</a> page.</p>
    <div class="table-wrap" tabindex="0">
      <table>
        <thead><tr><th scope="col">Title</th><th scope="col">Panels</th><th scope="col">Description</th><th scope="col">Changed</th></tr></thead>
        <tbody>
          @for (d of items(); track d.id) {
            <tr>
              <td><a [routerLink]="['/dashboards', d.id]">{{ d.title }}</a></td><td>{{ d.panels }}</td>
              <td>{{ d.description }}</td><td>{{ time(d.updated_at_ms) }} by {{ d.updated_by }}</td>
            </tr>
          } @empty {
            <tr><td colspan="4" class="muted">@if (list.isLoading()) { Loading… } @else { No dashboards yet. }</td></tr>
          }
        </tbody>
      </table>
    </div>
    @if (list.hasValue() && list.value().next_cursor) {
      <button type="button" (click)="more()">More</button>
    }
  `,
  styles: `
    .import { display: inline-flex; align-items: center; cursor: pointer; color: var(--oe-fg); font-size: 1rem; }
    .import:focus-within { outline: 2px solid var(--oe-focus); outline-offset: 2px; }
    .problem-list { border: 1px solid var(--oe-danger); background: var(--oe-danger-bg); border-radius: 6px; padding: 0.5rem 0.75rem; margin: 0.5rem 0; }
    .problem-list ul { margin: 0.25rem 0 0; padding-left: 1.25rem; }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DashboardsPage {
  private readonly api = inject(DashboardsApi);
  private readonly router = inject(Router);
  protected readonly session = inject(Session);
  protected readonly P = Permission;
  private readonly cursor = signal<string | null>(null);
  private readonly earlier = signal<DashboardSummary[]>([]);
  protected readonly list = resource({
    params: () => ({ cursor: this.cursor() }),
    loader: ({ params, abortSignal }) => this.api.list(params.cursor, abortSignal),
  });
  protected readonly items = computed(() => [...this.earlier(), ...(this.list.hasValue() ? this.list.value().data : [])]);
  protected readonly problem = computed(() => resourceProblem(this.list));
  protected readonly importing = new ActionState();
  protected readonly importProblems = signal<string[]>([]);
  private readonly zone = computed(() => this.session.me()?.timezone || effectiveZone('browser'));

  protected time(ms: number): string {
    return formatTime(ms, this.zone());
  }

  protected more(): void {
    if (!this.list.hasValue()) return;
    const page = this.list.value();
    this.earlier.update((e) => [...e, ...page.data]);
    this.cursor.set(page.next_cursor);
  }

  protected async importFile(event: Event): Promise<void> {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    this.importing.clear();
    let text: string;
    try {
      text = await readText(file);
    } catch {
      this.importProblems.set([`The file ${file.name} could not be read.`]);
      return;
    }
    const read = readImport(text);
    this.importProblems.set(read.problems);
    if (!read.definition) return;
    const definition = read.definition;
    const made = await this.importing.run(() => this.api.create(definition));
    if (made) void this.router.navigate(['/dashboards', made.id]);
  }
}
