import { ChangeDetectionStrategy, Component, computed, inject, input, linkedSignal, output, resource, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Permission } from '../../core/auth/me';
import { Session } from '../../core/auth/session';
import { OnCallApi, OnCallKind, OnCallRecord, onCallDocument } from '../../core/model/oncall';
import { ActionState, resourceProblem } from '../../shared/action';
import { ProblemBanner } from '../../shared/problem-banner';
import { parseObject } from './routing-page';
import { when } from './when';

/** Schedules or escalation policies: listed for everyone; admins add, edit (the version
 * they read; a stale write is 409) and delete them as JSON (ADR 0019's documents). */
@Component({
  selector: 'oe-oncall-editor',
  imports: [FormsModule, ProblemBanner],
  template: `
    <oe-problem [problem]="problem()" />
    <ul class="records">
      @for (r of records.hasValue() ? records.value() : []; track r.id) {
        <li>
          <strong>{{ r.name ?? r.id }}</strong> <code class="muted">{{ r.id }}</code>
          <span class="muted">v{{ r.version }}, {{ r.updated_by }}, {{ when(r.updated_at_ms) }}</span>
          @if (session.can(P.manageOncall)) {
            <button type="button" (click)="edit(r)" [attr.aria-label]="'Edit ' + r.id">Edit</button>
            <button type="button" class="danger" (click)="remove(r)" [disabled]="action.busy()" [attr.aria-label]="'Delete ' + r.id">Delete</button>
          }
        </li>
      } @empty {
        @if (!records.isLoading()) { <li class="muted">None yet.</li> }
      }
    </ul>
    @if (session.can(P.manageOncall)) {
      <form (ngSubmit)="save()" [attr.aria-label]="label() + ' editor'">
        <label>{{ editing() ? 'Edit ' + editing()!.id + ' (version ' + editing()!.version + ')' : 'New ' + label().toLowerCase() }} (JSON)
          <textarea class="code" name="doc" rows="8" [ngModel]="text()" (ngModelChange)="text.set($event)"></textarea>
        </label>
        <div class="row">
          <button class="primary" type="submit" [disabled]="action.busy()">{{ editing() ? 'Save' : 'Add' }}</button>
          @if (editing()) { <button type="button" (click)="startNew()">Cancel</button> }
        </div>
      </form>
    }
    <oe-problem [problem]="action.problem()" />
  `,
  styles: `textarea { width: 100%; font-family: ui-monospace, monospace; } form > label { width: 100%; } .records { list-style: none; padding: 0; }
    .records li { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; padding: 0.2rem 0; }`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class OnCallEditor {
  private readonly api = inject(OnCallApi);
  protected readonly session = inject(Session);
  protected readonly P = Permission;
  protected readonly when = when;
  readonly kind = input.required<OnCallKind>();
  readonly label = input.required<string>();
  readonly example = input('{}');
  readonly changed = output<void>();
  protected readonly records = resource({
    params: () => this.kind(),
    loader: ({ params, abortSignal }) => this.api.list(params, abortSignal),
  });
  protected readonly problem = computed(() => resourceProblem(this.records));
  protected readonly action = new ActionState();
  protected readonly editing = signal<OnCallRecord | null>(null);
  /** The editor's text: the example until the user edits or picks a record. */
  protected readonly text = linkedSignal(() => this.example());

  protected edit(r: OnCallRecord): void {
    this.editing.set(r);
    this.text.set(JSON.stringify(onCallDocument(r), null, 2));
  }

  protected startNew(): void {
    this.editing.set(null);
    this.text.set(this.example());
  }

  protected async save(): Promise<void> {
    const editing = this.editing();
    const saved = await this.action.run(() => {
      const doc = parseObject(this.text(), this.label().toLowerCase());
      return editing ? this.api.replace(this.kind(), editing.id, editing.version, doc) : this.api.create(this.kind(), doc);
    });
    if (saved) {
      this.startNew();
      this.records.reload();
      this.changed.emit();
    }
  }

  protected async remove(r: OnCallRecord): Promise<void> {
    await this.action.run(() => this.api.remove(this.kind(), r.id, r.version));
    if (!this.action.problem()) {
      this.records.reload();
      this.changed.emit();
    }
  }
}
