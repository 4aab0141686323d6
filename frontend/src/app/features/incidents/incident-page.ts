import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, input, resource, signal } from '@angular/core';
import { TitleCasePipe } from '@angular/common';
import { FormsModule } from '@angular/forms';
import { RouterLink } from '@angular/router';
import { filter } from 'rxjs';
import { Session } from '../../core/auth/session';
import { Permission, PermissionName } from '../../core/auth/me';
import { LiveStream } from '../../core/live/live-stream';
import { refreshOn } from '../../core/live/live-refresh';
import { Incident, IncidentAction, IncidentsApi, SEVERITIES } from '../../core/model/incidents';
import { formatDurationMs } from '../../core/format';
import { effectiveZone, formatTime } from '../../core/time/time-range';
import { ActionState, resourceProblem } from '../../shared/action';
import { ProblemBanner } from '../../shared/problem-banner';
import { Badge } from '../../shared/badges';
import { EscalationPanel } from './escalation-panel';
import { RemediationPanel } from './remediation-panel';
import { PostmortemEditor } from './postmortem-editor';

/** What each lifecycle action needs (the API refuses it anyway). */
export const ACTION_PERMISSION: Record<IncidentAction, PermissionName> = {
  acknowledge: Permission.actOnIncidents,
  mitigate: Permission.actOnIncidents,
  resolve: Permission.actOnIncidents,
  reopen: Permission.actOnIncidents,
  close: Permission.manageIncidents,
};

const WORKFLOW_POLL_MS = 15_000;

/**
 * One incident: status and severity, the lifecycle actions it allows now, notes, its
 * timeline (live), the escalation (who is paged next, and when), remediation runs with
 * their approval gates, and the postmortem.
 */
@Component({
  selector: 'oe-incident-page',
  imports: [FormsModule, TitleCasePipe, RouterLink, ProblemBanner, Badge, EscalationPanel, RemediationPanel, PostmortemEditor],
  templateUrl: './incident-page.html',
  styleUrl: './incident-page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class IncidentPage {
  private readonly api = inject(IncidentsApi);
  protected readonly session = inject(Session);
  protected readonly P = Permission;
  readonly id = input.required<string>();
  protected readonly incident = resource({
    params: () => this.id(),
    loader: ({ params, abortSignal }) => this.api.get(params, abortSignal),
  });
  /** The latest answer of an action (it carries the timeline), until the next fetch. */
  private readonly acted = signal<Incident | null>(null);
  protected readonly current = computed<Incident | null>(() => {
    const fetched = this.incident.hasValue() ? this.incident.value() : null;
    const acted = this.acted();
    if (acted && acted.id === this.id() && (!fetched || acted.version > fetched.version)) {
      return { ...acted, workflow: fetched?.workflow ?? null };
    }
    return fetched;
  });
  protected readonly problem = computed(() => resourceProblem(this.incident));
  protected readonly action = new ActionState();
  protected readonly severities = SEVERITIES;
  protected readonly note = signal('');
  protected readonly reopenReason = signal('');
  protected readonly zone = computed(() => this.session.me()?.timezone || effectiveZone('browser'));
  protected readonly timeline = computed(() => [...(this.current()?.timeline ?? [])].reverse());
  protected readonly lifecycle = computed(() =>
    (this.current()?.allowed_actions ?? []).filter(
      (a): a is IncidentAction => a in ACTION_PERMISSION && this.session.can(ACTION_PERMISSION[a as IncidentAction])));
  protected readonly duration = formatDurationMs;

  constructor() {
    const live = inject(LiveStream);
    const destroyRef = inject(DestroyRef);
    live.watchIncidents(destroyRef);
    const mine = live.incidents$.pipe(filter((e) => e.incident.id === this.id() && e.incident.version > (this.current()?.version ?? 0)));
    refreshOn([mine, live.resync$], () => this.incident.reload(), destroyRef);
    // The workflow's escalation and remediation progress is not on the stream: poll it
    // while the incident is open.
    const timer = setInterval(() => {
      const s = this.current()?.status;
      if (s && s !== 'closed' && !this.incident.isLoading()) this.incident.reload();
    }, WORKFLOW_POLL_MS);
    destroyRef.onDestroy(() => clearInterval(timer));
  }

  protected time(ms: number | null): string {
    return ms ? formatTime(ms, this.zone(), true) : '—';
  }

  /** The machine-readable form for <time datetime>. */
  protected iso(ms: number | null): string | null {
    return ms ? new Date(ms).toISOString() : null;
  }

  protected async act(what: IncidentAction): Promise<void> {
    const text = what === 'reopen' ? this.reopenReason().trim() : '';
    const done = await this.action.run(() => this.api.act(this.id(), what, text));
    if (done) {
      this.acted.set(done);
      this.reopenReason.set('');
      this.incident.reload();
    }
  }

  protected async addNote(): Promise<void> {
    const done = await this.action.run(() => this.api.addNote(this.id(), this.note().trim()));
    if (done) {
      this.acted.set(done);
      this.note.set('');
    }
  }

  protected async setSeverity(severity: string): Promise<void> {
    const done = await this.action.run(() => this.api.setSeverity(this.id(), severity));
    if (done) this.acted.set(done);
  }

  protected reload(): void {
    this.incident.reload();
  }
}
