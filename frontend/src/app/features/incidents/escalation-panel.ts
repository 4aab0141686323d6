import { ChangeDetectionStrategy, Component, computed, inject, input, output } from '@angular/core';
import { Session } from '../../core/auth/session';
import { Permission } from '../../core/auth/me';
import { IncidentWorkflow, IncidentsApi } from '../../core/model/incidents';
import { formatTime } from '../../core/time/time-range';
import { formatDurationMs } from '../../core/format';
import { ActionState } from '../../shared/action';
import { ProblemBanner } from '../../shared/problem-banner';

/** The escalation from the incident workflow's state: policy, step, when the next
 * level is paged, the pages sent; escalate now, pause and resume. */
@Component({
  selector: 'oe-escalation-panel',
  imports: [ProblemBanner],
  template: `
    <section class="card">
      <h2>Escalation</h2>
      @if (workflow(); as w) {
        @if (w.escalation.policy) {
          <p>
            Policy <code>{{ w.escalation.policy }}</code>, step {{ w.escalation.step + 1 }} of {{ w.escalation.total_steps }}
            (round {{ w.escalation.round + 1 }}).
            @if (w.escalation.paused) { <strong>Paused</strong> ({{ duration(w.escalation.remaining_ms) }} left). }
            @else if (w.escalation.exhausted) { Every level has been paged. }
            @else if (w.escalation.active && w.escalation.deadline_ms) { Next level paged at {{ time(w.escalation.deadline_ms) }}. }
            @else if (!w.escalation.active) { Stopped (the incident is {{ w.status }}). }
          </p>
        } @else {
          <p class="muted">No escalation policy applies.</p>
        }
        @if (session.can(P.actOnIncidents) && w.escalation.active) {
          <div class="row">
            <button type="button" (click)="escalate()" [disabled]="action.busy()">Escalate now</button>
            <button type="button" (click)="pause(!w.escalation.paused)" [disabled]="action.busy()">
              {{ w.escalation.paused ? 'Resume escalation' : 'Pause escalation' }}
            </button>
          </div>
        }
        <oe-problem [problem]="action.problem()" />
        @if (w.pages.length) {
          <h3>Pages</h3>
          <ul class="pages">
            @for (p of pages(); track $index) {
              <li>{{ time(p.at_ms) }}: {{ p.user ?? 'nobody on call' }} via {{ p.target }}
                {{ p.delivered ? '' : '(not delivered: ' + p.detail + ')' }}</li>
            }
          </ul>
        }
      } @else {
        <p class="muted">No workflow runs for this incident (closed, or no workflow engine).</p>
      }
    </section>
  `,
  styles: `.pages { padding-left: 1.1rem; margin: 0; font-size: 0.9rem; }`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class EscalationPanel {
  private readonly api = inject(IncidentsApi);
  protected readonly session = inject(Session);
  protected readonly P = Permission;
  readonly incidentId = input.required<string>();
  readonly workflow = input<IncidentWorkflow | null>(null);
  readonly zone = input('UTC');
  readonly changed = output<void>();
  protected readonly action = new ActionState();
  protected readonly pages = computed(() => [...(this.workflow()?.pages ?? [])].reverse());
  protected readonly duration = formatDurationMs;

  protected time(ms: number): string {
    return formatTime(ms, this.zone(), true);
  }

  protected async escalate(): Promise<void> {
    if ((await this.action.run(() => this.api.escalateNow(this.incidentId()))) !== undefined) this.changed.emit();
  }

  protected async pause(paused: boolean): Promise<void> {
    if ((await this.action.run(() => this.api.pauseEscalation(this.incidentId(), paused))) !== undefined) this.changed.emit();
  }
}
