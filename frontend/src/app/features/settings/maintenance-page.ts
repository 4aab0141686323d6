import { ChangeDetectionStrategy, Component, computed, inject, resource, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Permission } from '../../core/auth/me';
import { Session } from '../../core/auth/session';
import { MaintenanceApi, MaintenanceWindow, WindowBody, parseMatchers } from '../../core/model/maintenance';
import { formatTime, wallTimeToEpoch } from '../../core/time/time-range';
import { ActionState, resourceProblem } from '../../shared/action';
import { Badge } from '../../shared/badges';
import { ProblemBanner } from '../../shared/problem-banner';
import { SettingsNav } from './settings-nav';

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

interface WindowDraft {
  name: string;
  matchers: string;
  comment: string;
  kind: 'once' | 'weekly' | 'rrule';
  timezone: string;
  starts: string;
  ends: string;
  startTime: string;
  duration: string;
  rrule: string;
}

/** Maintenance windows (cp-rules' `/api/v1/maintenance-windows`): once, weekly or by an
 * RRULE, in a time zone, muting the alerts their matchers select; responders add and
 * delete them (the version read), everyone sees their state and next start. */
@Component({
  selector: 'oe-maintenance-page',
  imports: [FormsModule, ProblemBanner, Badge, SettingsNav],
  templateUrl: './maintenance-page.html',
  styles: `.days { display: flex; gap: 0.4rem; border: none; padding: 0; margin: 0; } .days legend { font-size: 0.9rem; color: var(--oe-muted); }
    .inline { flex-direction: row; align-items: center; gap: 0.25rem; } textarea { width: 100%; }`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class MaintenancePage {
  private readonly api = inject(MaintenanceApi);
  protected readonly session = inject(Session);
  protected readonly P = Permission;
  protected readonly weekdayNames = WEEKDAYS;
  protected readonly windows = resource({ loader: ({ abortSignal }) => this.api.list(abortSignal) });
  protected readonly problem = computed(() => resourceProblem(this.windows));
  protected readonly action = new ActionState();
  protected readonly draft = signal<WindowDraft>({
    name: '', matchers: '', comment: '', kind: 'once', timezone: 'UTC',
    starts: '', ends: '', startTime: '02:00', duration: '2h', rrule: 'FREQ=MONTHLY;BYDAY=1SU',
  });
  protected readonly weekdays = signal<number[]>([5, 6]);

  protected set(field: keyof WindowDraft, value: string): void {
    this.draft.update((d) => ({ ...d, [field]: value }));
  }

  protected toggleDay(day: number, on: boolean): void {
    this.weekdays.update((days) => (on ? [...new Set([...days, day])].sort() : days.filter((d) => d !== day)));
  }

  protected time(ms: number | null, zone: string): string {
    return ms ? formatTime(ms, zone) : '—';
  }

  protected describe(w: MaintenanceWindow): string {
    const s = w.schedule;
    if (s.kind === 'once') return 'once';
    const each = `at ${s.start_time} for ${Math.round((s.duration_ms ?? 0) / 60_000)} min`;
    if (s.kind === 'weekly') return `weekly on ${(s.weekdays ?? []).map((d) => WEEKDAYS[d]).join(', ')} ${each}`;
    return `${s.rrule} ${each}`;
  }

  protected async create(): Promise<void> {
    const d = this.draft();
    const made = await this.action.run(() => {
      const starts = wallTimeToEpoch(d.starts, d.timezone);
      const ends = wallTimeToEpoch(d.ends, d.timezone);
      if (starts === null || ends === null) throw new Error(`Give the start and the end as local times in ${d.timezone}.`);
      const body: WindowBody = {
        name: d.name.trim(), matchers: parseMatchers(d.matchers), comment: d.comment.trim(),
        schedule: { kind: d.kind, timezone: d.timezone.trim(), starts_at: String(starts / 1000), ends_at: String(ends / 1000) },
      };
      if (d.kind !== 'once') Object.assign(body.schedule, { start_time: d.startTime, duration: d.duration.trim() });
      if (d.kind === 'weekly') body.schedule.weekdays = this.weekdays();
      if (d.kind === 'rrule') body.schedule.rrule = d.rrule.trim();
      return this.api.create(body);
    });
    if (made) {
      this.draft.update((x) => ({ ...x, name: '', matchers: '', comment: '' }));
      this.windows.reload();
    }
  }

  protected async remove(w: MaintenanceWindow): Promise<void> {
    await this.action.run(() => this.api.remove(w));
    if (!this.action.problem()) this.windows.reload();
  }
}
