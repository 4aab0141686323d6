import { ChangeDetectionStrategy, Component, computed, inject, resource, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Permission } from '../../core/auth/me';
import { Session } from '../../core/auth/session';
import { OnCallApi, calendarDays } from '../../core/model/oncall';
import { formatTime, wallTimeToEpoch } from '../../core/time/time-range';
import { ActionState, resourceProblem } from '../../shared/action';
import { ProblemBanner } from '../../shared/problem-banner';
import { OnCallEditor } from './oncall-editor';
import { SettingsNav } from './settings-nav';

const DAY_MS = 86_400_000;
const SCHEDULE_EXAMPLE = `{"id": "web", "name": "Web primary", "timezone": "Europe/Berlin", "layers": [
  {"name": "weekly", "rotation": {"users": ["ada", "bob"], "start_ms": ${Date.UTC(2027, 0, 4, 8)},
   "handoff_time": "09:00", "timezone": "Europe/Berlin", "length": "weekly"}}]}`;
const POLICY_EXAMPLE = `{"id": "web", "severities": ["SEV1", "SEV2"], "repeat": 1, "levels": [
  {"timeout_ms": 900000, "targets": [{"kind": "schedule", "ref": "web"}]}]}`;

/** On call: who is on call now and next in every schedule, a schedule's week as a
 * calendar (in its zone), taking a shift (an override, responders), and the schedules
 * and escalation policies (admins edit them). */
@Component({
  selector: 'oe-oncall-page',
  imports: [FormsModule, ProblemBanner, OnCallEditor, SettingsNav],
  templateUrl: './oncall-page.html',
  styles: `
    .week { display: grid; grid-template-columns: repeat(7, minmax(7rem, 1fr)); gap: 0.25rem; overflow-x: auto; }
    .day { border: 1px solid var(--oe-border); border-radius: 6px; padding: 0.35rem; min-height: 5rem; }
    .day h4 { margin: 0 0 0.25rem; font-size: 0.85rem; color: var(--oe-muted); }
    .shift { font-size: 0.85rem; background: var(--oe-surface-2); border-radius: 4px; padding: 0.15rem 0.3rem; margin-bottom: 0.2rem; }
    section { margin-top: 0.75rem; }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class OnCallPage {
  private readonly api = inject(OnCallApi);
  protected readonly session = inject(Session);
  protected readonly P = Permission;
  protected readonly scheduleExample = SCHEDULE_EXAMPLE;
  protected readonly policyExample = POLICY_EXAMPLE;
  protected readonly now = resource({ loader: ({ abortSignal }) => this.api.everyone(abortSignal) });
  protected readonly nowProblem = computed(() => resourceProblem(this.now));
  protected readonly chosen = signal<string | null>(null);
  /** The schedule shown as a calendar: the one chosen, else the first. */
  protected readonly scheduleId = computed(() => this.chosen() ?? (this.now.hasValue() ? this.now.value()[0]?.schedule ?? null : null));
  protected readonly week = resource({
    params: () => this.scheduleId() ?? undefined,
    loader: ({ params, abortSignal }) => {
      const start = Math.floor(Date.now() / DAY_MS) * DAY_MS;
      return this.api.shifts(params, start, start + 7 * DAY_MS, abortSignal);
    },
  });
  protected readonly weekProblem = computed(() => resourceProblem(this.week));
  protected readonly days = computed(() => {
    if (!this.week.hasValue()) return [];
    const zone = this.week.value().timezone;
    const day = new Intl.DateTimeFormat(undefined, { timeZone: zone, weekday: 'short', month: 'short', day: 'numeric' });
    return calendarDays(this.week.value(), 7, (ms) => day.format(new Date(ms)));
  });
  protected readonly action = new ActionState();
  protected readonly override = signal({ user: '', start: '', end: '' });

  protected zoneOf(scheduleId: string | null): string {
    return this.now.hasValue() ? this.now.value().find((s) => s.schedule === scheduleId)?.timezone ?? 'UTC' : 'UTC';
  }

  protected time(ms: number | null | undefined, zone: string): string {
    return ms ? formatTime(ms, zone) : '—';
  }

  protected hours(ms: number, zone: string): string {
    return new Intl.DateTimeFormat(undefined, { timeZone: zone, hour: '2-digit', minute: '2-digit' }).format(new Date(ms));
  }

  protected setOverride(field: 'user' | 'start' | 'end', value: string): void {
    this.override.update((o) => ({ ...o, [field]: value }));
  }

  protected async takeShift(): Promise<void> {
    const id = this.scheduleId();
    if (!id) return;
    const zone = this.zoneOf(id);
    const o = this.override();
    const done = await this.action.run(() => {
      const start = wallTimeToEpoch(o.start, zone);
      const end = wallTimeToEpoch(o.end, zone);
      if (start === null || end === null) throw new Error(`Give the start and the end as local times in ${zone}.`);
      return this.api.addOverride(id, o.user.trim() || (this.session.me()?.username ?? ''), start, end);
    });
    if (done !== undefined) {
      this.override.set({ user: '', start: '', end: '' });
      this.refresh();
    }
  }

  protected refresh(): void {
    this.now.reload();
    this.week.reload();
  }
}
