import { ChangeDetectionStrategy, Component, computed, effect, inject, input, output, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Session } from '../../core/auth/session';
import { Permission } from '../../core/auth/me';
import { IncidentWorkflow, IncidentsApi } from '../../core/model/incidents';
import { UserPreferences } from '../../core/prefs/user-preferences';
import { ActionState } from '../../shared/action';
import { ProblemBanner } from '../../shared/problem-banner';

export const POSTMORTEM_TEMPLATE = `## Summary\n\n## Impact\n\n## Timeline\n\n## Root cause\n\n## What went well\n\n## Action items\n`;

/**
 * The postmortem: written here, published through the incident's workflow (which closes
 * the incident). The API keeps only the published text, so the draft is kept in this
 * browser per user and incident until it is published.
 */
@Component({
  selector: 'oe-postmortem-editor',
  imports: [FormsModule, ProblemBanner],
  template: `
    <section class="card">
      <h2>Postmortem</h2>
      @if (status(); as s) {
        <p class="muted">Postmortem {{ s }}.</p>
        @if (s === 'open' && session.can(P.actOnIncidents)) {
          <label>Draft (Markdown)
            <textarea class="code" rows="12" [ngModel]="body()" (ngModelChange)="body.set($event)" name="postmortem"></textarea>
          </label>
          <div class="row">
            <button type="button" class="primary" (click)="publish()" [disabled]="action.busy() || !body().trim()">Publish</button>
            <span class="muted">Publishing closes the incident.</span>
          </div>
        }
      } @else {
        <p class="muted">The postmortem opens when the incident is resolved.</p>
      }
      @if (published()) { <p role="status">Published.</p> }
      <oe-problem [problem]="action.problem()" />
    </section>
  `,
  styles: `textarea { width: 100%; }`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PostmortemEditor {
  private readonly api = inject(IncidentsApi);
  private readonly prefs = inject(UserPreferences);
  protected readonly session = inject(Session);
  protected readonly P = Permission;
  readonly incidentId = input.required<string>();
  readonly workflow = input<IncidentWorkflow | null>(null);
  readonly changed = output<void>();
  protected readonly status = computed(() => this.workflow()?.postmortem?.status ?? null);
  protected readonly body = signal(POSTMORTEM_TEMPLATE);
  protected readonly published = signal(false);
  protected readonly action = new ActionState();
  private readonly draftKey = computed(() => `postmortem.${this.incidentId()}`);

  constructor() {
    effect(() => {
      const saved = this.prefs.read(this.draftKey(), (v): v is string => typeof v === 'string');
      this.body.set(saved ?? POSTMORTEM_TEMPLATE);
    });
    effect(() => {
      const text = this.body();
      if (text !== POSTMORTEM_TEMPLATE) this.prefs.write(this.draftKey(), text);
    });
  }

  protected async publish(): Promise<void> {
    if ((await this.action.run(() => this.api.publishPostmortem(this.incidentId(), this.body()))) !== undefined) {
      this.prefs.remove(this.draftKey());
      this.published.set(true);
      this.changed.emit();
    }
  }
}
