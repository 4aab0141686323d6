import { ChangeDetectionStrategy, Component, computed, inject, input, resource, signal } from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import { reloadOnIncidents } from '../../core/live/live-refresh';
import { ACTIVE_STATUSES, Incident, IncidentStatus, IncidentsApi, SEVERITIES } from '../../core/model/incidents';
import { formatAgo, formatDurationMs } from '../../core/format';
import { ProblemBanner } from '../../shared/problem-banner';
import { Badge } from '../../shared/badges';
import { resourceProblem } from '../../shared/action';

const ALL: readonly IncidentStatus[] = ['triggered', 'acknowledged', 'mitigated', 'resolved', 'closed'];

/** `open` (the active statuses), `all`, or comma-separated statuses. */
export function statusesFromParam(param: string | undefined): IncidentStatus[] {
  if (!param || param === 'open') return [...ACTIVE_STATUSES];
  if (param === 'all') return [];
  return param.split(',').filter((s): s is IncidentStatus => (ALL as readonly string[]).includes(s));
}

/** Incidents, newest first, filtered by status (in the URL), severity and text; live. */
@Component({
  selector: 'oe-incidents-page',
  imports: [RouterLink, ProblemBanner, Badge],
  templateUrl: './incidents-page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class IncidentsPage {
  private readonly api = inject(IncidentsApi);
  private readonly router = inject(Router);
  /** Query parameters. */
  readonly status = input<string>();
  readonly severity = input<string>();
  protected readonly statuses = computed(() => statusesFromParam(this.status()));
  protected readonly all = ALL;
  protected readonly severities = SEVERITIES;
  protected readonly text = signal('');
  protected readonly incidents = resource({
    params: () => this.statuses(),
    loader: ({ params, abortSignal }) => this.api.list(params, 500, abortSignal),
  });
  protected readonly problem = computed(() => resourceProblem(this.incidents));
  protected readonly now = signal(Date.now());
  protected readonly shown = computed(() => {
    const needle = this.text().toLowerCase();
    const sev = this.severity();
    return (this.incidents.hasValue() ? this.incidents.value() : []).filter(
      (i: Incident) => (!sev || i.severity === sev) && (!needle || `${i.id} ${i.title} ${i.summary}`.toLowerCase().includes(needle)));
  });
  protected readonly ago = formatAgo;
  protected readonly duration = formatDurationMs;

  constructor() {
    reloadOnIncidents(() => {
      this.now.set(Date.now());
      this.incidents.reload();
    });
  }

  protected setStatus(s: IncidentStatus, on: boolean): void {
    const current = this.statuses().length ? this.statuses() : [...ALL];
    const next = on ? [...new Set([...current, s])] : current.filter((x) => x !== s);
    const param = next.length === ALL.length ? 'all' : next.join(',') || 'all';
    void this.router.navigate([], { queryParams: { status: param }, queryParamsHandling: 'merge' });
  }

  protected setSeverity(sev: string): void {
    void this.router.navigate([], { queryParams: { severity: sev || null }, queryParamsHandling: 'merge' });
  }

  protected checked(s: IncidentStatus): boolean {
    return !this.statuses().length || this.statuses().includes(s);
  }
}
