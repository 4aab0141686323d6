import { ChangeDetectionStrategy, Component, computed, inject, resource, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Permission } from '../../core/auth/me';
import { Session } from '../../core/auth/session';
import { Runbook, RunbooksApi } from '../../core/model/runbooks';
import { ActionState, resourceProblem } from '../../shared/action';
import { ProblemBanner } from '../../shared/problem-banner';
import { SettingsNav } from './settings-nav';
import { when } from './when';

const EXAMPLE_STEPS = `[
  {"id": "restart", "kind": "restart", "params": {"namespace": "prod", "deployment": "web"},
   "approval": {"timeout_ms": 600000, "roles": ["admin"]}}
]`;

/** The steps as typed: a JSON array (the API validates each step and names the field). */
export function parseSteps(text: string): unknown[] {
  let steps: unknown;
  try {
    steps = JSON.parse(text);
  } catch (err) {
    throw new Error(`The steps are not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(steps)) throw new Error('The steps must be a JSON array of steps.');
  return steps;
}

/** The remediation runbook catalogue: responders read it (and run runbooks from an
 * incident); admins add, edit (naming the version they read: a stale write is 409) and
 * remove runbooks. */
@Component({
  selector: 'oe-runbooks-page',
  imports: [FormsModule, ProblemBanner, SettingsNav],
  template: `
    <h1>Settings</h1>
    <oe-settings-nav />
    <h2>Runbooks</h2>
    <oe-problem [problem]="problem()" />
    @if (session.can(P.manageRunbooks)) {
      <section class="card">
        <h3>{{ editing() ? 'Edit ' + editing()!.id + ' (version ' + editing()!.version + ')' : 'New runbook' }}</h3>
        <form (ngSubmit)="save()" aria-label="Runbook editor">
          <div class="row">
            <label>Id <input name="id" required [disabled]="!!editing()" [ngModel]="id()" (ngModelChange)="id.set($event)"></label>
            <label>Name <input name="name" [ngModel]="name()" (ngModelChange)="name.set($event)"></label>
          </div>
          <label>Steps (JSON: kind http, task, scale, restart, wait or manual; optional approval and compensation)
            <textarea class="code" name="steps" rows="8" [ngModel]="steps()" (ngModelChange)="steps.set($event)"></textarea>
          </label>
          <div class="row">
            <button class="primary" type="submit" [disabled]="action.busy()">{{ editing() ? 'Save' : 'Add runbook' }}</button>
            @if (editing()) { <button type="button" (click)="startNew()">Cancel</button> }
          </div>
        </form>
      </section>
    }
    <oe-problem [problem]="action.problem()" />
    @for (r of runbooks.hasValue() ? runbooks.value() : []; track r.id) {
      <section class="card runbook" [attr.aria-label]="'Runbook ' + r.name">
        <h3>{{ r.name }} <code class="muted">{{ r.id }}</code> <span class="muted small">v{{ r.version }}, {{ r.updated_by }}, {{ when(r.updated_at_ms) }}</span></h3>
        <ol>
          @for (s of r.steps; track $index) {
            <li><code>{{ s['id'] }}</code> {{ s['kind'] }} @if (s['approval']) { <span class="muted">(needs approval)</span> }</li>
          }
        </ol>
        @if (session.can(P.manageRunbooks)) {
          <div class="row">
            <button type="button" (click)="edit(r)" [attr.aria-label]="'Edit ' + r.id">Edit</button>
            <button type="button" class="danger" (click)="remove(r)" [disabled]="action.busy()" [attr.aria-label]="'Remove ' + r.id">Remove</button>
          </div>
        }
      </section>
    } @empty {
      @if (!runbooks.isLoading()) { <p class="muted">The catalogue is empty.</p> }
    }
  `,
  styles: `textarea { width: 100%; font-family: ui-monospace, monospace; } form > label { width: 100%; } .runbook { margin-bottom: 0.75rem; } .small { font-size: 0.8rem; font-weight: normal; }`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RunbooksPage {
  private readonly api = inject(RunbooksApi);
  protected readonly session = inject(Session);
  protected readonly P = Permission;
  protected readonly when = when;
  protected readonly runbooks = resource({ loader: ({ abortSignal }) => this.api.list(abortSignal) });
  protected readonly problem = computed(() => resourceProblem(this.runbooks));
  protected readonly action = new ActionState();
  protected readonly editing = signal<Runbook | null>(null);
  protected readonly id = signal('');
  protected readonly name = signal('');
  protected readonly steps = signal(EXAMPLE_STEPS);

  protected edit(r: Runbook): void {
    this.editing.set(r);
    this.id.set(r.id);
    this.name.set(r.name);
    this.steps.set(JSON.stringify(r.steps, null, 2));
  }

  protected startNew(): void {
    this.editing.set(null);
    this.id.set('');
    this.name.set('');
    this.steps.set(EXAMPLE_STEPS);
  }

  protected async save(): Promise<void> {
    const editing = this.editing();
    const saved = await this.action.run(() => {
      const steps = parseSteps(this.steps());
      return editing
        ? this.api.update(editing.id, editing.version, this.name().trim(), steps)
        : this.api.create(this.id().trim(), this.name().trim(), steps);
    });
    if (saved) {
      this.startNew();
      this.runbooks.reload();
    }
  }

  protected async remove(r: Runbook): Promise<void> {
    await this.action.run(() => this.api.remove(r.id, r.version));
    if (!this.action.problem()) this.runbooks.reload();
  }
}
