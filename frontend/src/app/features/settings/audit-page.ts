import { ChangeDetectionStrategy, Component, computed, inject, resource, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { AuditApi, AuditFilter } from '../../core/model/audit';
import { resourceProblem } from '../../shared/action';
import { ProblemBanner } from '../../shared/problem-banner';
import { SettingsNav } from './settings-nav';
import { when } from './when';

const PAGE_SIZE = 50;
const NO_FILTER: AuditFilter = { actor: '', action: '', target: '', since: '', until: '' };

/** The audit log: filters (actor, action or `prefix.*`, target, time range), pages of
 * 50 newest first (older / newer), and every match as JSON lines. */
@Component({
  selector: 'oe-audit-page',
  imports: [FormsModule, ProblemBanner, SettingsNav],
  template: `
    <h1>Settings</h1>
    <oe-settings-nav />
    <h2>Audit log</h2>
    <form class="row" (ngSubmit)="apply()" aria-label="Audit log filters">
      <label>Actor <input name="actor" [ngModel]="draft().actor" (ngModelChange)="set('actor', $event)"></label>
      <label>Action <input name="action" placeholder="user.*" [ngModel]="draft().action" (ngModelChange)="set('action', $event)"></label>
      <label>Target <input name="target" [ngModel]="draft().target" (ngModelChange)="set('target', $event)"></label>
      <label>Since <input name="since" placeholder="2026-01-31T00:00:00Z" [ngModel]="draft().since" (ngModelChange)="set('since', $event)"></label>
      <label>Until <input name="until" [ngModel]="draft().until" (ngModelChange)="set('until', $event)"></label>
      <button class="primary" type="submit">Filter</button>
      <a class="button" [href]="exportUrl()" download="audit.jsonl">Export (JSON lines)</a>
    </form>
    <oe-problem [problem]="problem()" />
    <div class="table-wrap" tabindex="0">
      <table>
        <thead><tr><th scope="col">When</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Target</th>
          <th scope="col">HTTP status</th><th scope="col">Change</th></tr></thead>
        <tbody>
          @for (e of page.hasValue() ? page.value().data : []; track e.id) {
            <tr>
              <td>{{ when(e.at_ms) }}</td>
              <td>{{ e.actor_name || e.actor }} <span class="muted">{{ e.remote_addr }}</span></td>
              <td><code>{{ e.action }}</code></td><td><code>{{ e.target }}</code></td>
              <td>{{ e.status ?? '—' }}</td>
              <td>@if (e.before || e.after) {
                <details><summary>before / after</summary><pre>{{ json(e.before) }}</pre><pre>{{ json(e.after) }}</pre></details>
              }</td>
            </tr>
          } @empty {
            @if (!page.isLoading()) { <tr><td colspan="6" class="muted">No entries match.</td></tr> }
          }
        </tbody>
      </table>
    </div>
    <div class="row">
      <button type="button" (click)="newer()" [disabled]="!cursors().length">Newer</button>
      <button type="button" (click)="older()" [disabled]="!(page.hasValue() && page.value().next_before)">Older</button>
      <span class="muted">Page {{ cursors().length + 1 }}</span>
    </div>
  `,
  styles: `pre { white-space: pre-wrap; font-size: 0.8rem; margin: 0.25rem 0; }`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AuditPage {
  private readonly api = inject(AuditApi);
  protected readonly when = when;
  protected readonly draft = signal<AuditFilter>(NO_FILTER);
  protected readonly filter = signal<AuditFilter>(NO_FILTER);
  /** The `before` cursors of the pages passed, newest first; the last one is this page's. */
  protected readonly cursors = signal<string[]>([]);
  protected readonly page = resource({
    params: () => ({ filter: this.filter(), before: this.cursors().at(-1) ?? null }),
    loader: ({ params, abortSignal }) => this.api.page(params.filter, params.before, PAGE_SIZE, abortSignal),
  });
  protected readonly problem = computed(() => resourceProblem(this.page));
  protected readonly exportUrl = computed(() => this.api.exportUrl(this.filter()));

  protected set(field: keyof AuditFilter, value: string): void {
    this.draft.update((d) => ({ ...d, [field]: value }));
  }

  protected apply(): void {
    const d = this.draft();
    this.filter.set({ actor: d.actor.trim(), action: d.action.trim(), target: d.target.trim(), since: d.since.trim(), until: d.until.trim() });
    this.cursors.set([]);
  }

  protected older(): void {
    const next = this.page.hasValue() ? this.page.value().next_before : null;
    if (next) this.cursors.update((c) => [...c, next]);
  }

  protected newer(): void {
    this.cursors.update((c) => c.slice(0, -1));
  }

  protected json(v: unknown): string {
    return v === null || v === undefined ? '—' : JSON.stringify(v, null, 2);
  }
}
