import { ChangeDetectionStrategy, Component, computed, inject, input, output, resource, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { JsonPipe } from '@angular/common';
import { Session } from '../../core/auth/session';
import { Permission } from '../../core/auth/me';
import { IncidentWorkflow, IncidentsApi, RemediationRun } from '../../core/model/incidents';
import { RunbooksApi } from '../../core/model/runbooks';
import { ActionState, resourceProblem } from '../../shared/action';
import { ProblemBanner } from '../../shared/problem-banner';
import { Badge } from '../../shared/badges';

/** The step a run waits on for approval, read from its phase ("awaiting approval of X"). */
export function awaitingApproval(run: Pick<RemediationRun, 'phase' | 'current_step'>): string | null {
  const m = /^awaiting approval of (.+)$/.exec(run.phase);
  return m ? m[1] : null;
}

/** Remediation runs of the incident: steps, the gate waiting for approval (approve or
 * reject it), and starting a catalogue runbook (or dry-running it to see the plan). */
@Component({
  selector: 'oe-remediation-panel',
  imports: [FormsModule, JsonPipe, ProblemBanner, Badge],
  templateUrl: './remediation-panel.html',
  styles: `textarea { width: 100%; } .steps { padding-left: 1.1rem; margin: 0.25rem 0; font-size: 0.9rem; } pre { white-space: pre-wrap; font-size: 0.8rem; }`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RemediationPanel {
  private readonly api = inject(IncidentsApi);
  protected readonly session = inject(Session);
  protected readonly P = Permission;
  readonly incidentId = input.required<string>();
  readonly workflow = input<IncidentWorkflow | null>(null);
  readonly open = input(true);
  readonly changed = output<void>();
  protected readonly runIds = computed(() =>
    (this.workflow()?.remediations ?? []).filter((r) => !r.dry_run).map((r) => r.workflow_id));
  protected readonly runs = resource({
    params: () => ({ id: this.incidentId(), runs: this.runIds(), at: this.workflow() }),
    loader: ({ params, abortSignal }) => Promise.all(params.runs.map((r) => this.api.remediation(params.id, r, abortSignal))),
  });
  protected readonly runsProblem = computed(() => resourceProblem(this.runs));
  protected readonly action = new ActionState();
  private readonly runbooksApi = inject(RunbooksApi);
  /** The catalogue, read when the responder opens the runbook picker. */
  protected readonly catalogue = resource({
    params: () => (this.starting() ? true : undefined),
    loader: ({ abortSignal }) => this.runbooksApi.list(abortSignal),
  });
  protected readonly catalogueProblem = computed(() => resourceProblem(this.catalogue));
  protected readonly runbook = signal('');
  protected readonly plan = signal<unknown[] | null>(null);
  protected readonly starting = signal(false);
  protected readonly reason = signal('');
  protected readonly awaiting = awaitingApproval;

  protected async decide(run: RemediationRun, step: string, decision: 'approve' | 'reject'): Promise<void> {
    const done = await this.action.run(() => this.api.decideStep(this.incidentId(), run.workflow_id, step, decision, this.reason()));
    if (done !== undefined) {
      this.reason.set('');
      this.runs.reload();
      this.changed.emit();
    }
  }

  protected async start(dryRun: boolean): Promise<void> {
    const result = await this.action.run(() => this.api.remediate(this.incidentId(), this.runbook(), dryRun));
    if (!result) return;
    this.plan.set(result.plan);
    if (!dryRun) {
      this.starting.set(false);
      this.changed.emit();
    }
  }
}
