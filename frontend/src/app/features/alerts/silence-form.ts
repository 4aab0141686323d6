import { ChangeDetectionStrategy, Component, OnInit, computed, inject, input, output, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Session } from '../../core/auth/session';
import { AlertsApi, Silence, SilenceIn, SilenceMatcher } from '../../core/model/alerts';
import { effectiveZone, parseDurationMs, wallTimeToEpoch, epochToWallTime } from '../../core/time/time-range';
import { ActionState } from '../../shared/action';
import { ProblemBanner } from '../../shared/problem-banner';

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** The body of a silence from the form's fields (times read in `zone`). */
export function silenceBody(f: {
  matchers: SilenceMatcher[]; starts: string; ends: string; zone: string; createdBy: string; comment: string;
  recurring: boolean; weekdays: number[]; startTime: string; duration: string;
}): SilenceIn {
  const start = wallTimeToEpoch(f.starts, f.zone);
  const end = wallTimeToEpoch(f.ends, f.zone);
  return {
    matchers: f.matchers.filter((m) => m.name.trim()),
    startsAt: start === null ? f.starts : new Date(start).toISOString(),
    endsAt: end === null ? f.ends : new Date(end).toISOString(),
    createdBy: f.createdBy,
    comment: f.comment,
    recurrence: f.recurring
      ? { timezone: f.zone, weekdays: [...f.weekdays].sort(), start_time: f.startTime, duration: f.duration }
      : null,
  };
}

/**
 * A new silence: matchers (prefilled from an alert's labels), a start and end in a time
 * zone, who and why, and optionally a weekly recurrence (a maintenance window, e.g.
 * Sundays 02:00 for 2h in Europe/Berlin) active between start and end.
 */
@Component({
  selector: 'oe-silence-form',
  imports: [FormsModule, ProblemBanner],
  templateUrl: './silence-form.html',
  styles: `
    form { display: flex; flex-direction: column; gap: 0.6rem; }
    .matcher { display: flex; gap: 0.35rem; flex-wrap: wrap; align-items: end; }
    .days { display: flex; gap: 0.5rem; flex-wrap: wrap; }
    .days label { flex-direction: row; align-items: center; gap: 0.2rem; }
    textarea { width: 100%; }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SilenceForm implements OnInit {
  private readonly api = inject(AlertsApi);
  private readonly session = inject(Session);
  readonly initialMatchers = input<SilenceMatcher[]>([]);
  readonly created = output<Silence>();
  protected readonly weekdayNames = WEEKDAYS;
  protected readonly action = new ActionState();
  protected readonly zone = signal(this.session.me()?.timezone || effectiveZone('browser'));
  protected readonly matchers = signal<SilenceMatcher[]>([]);
  protected readonly starts = signal('');
  protected readonly ends = signal('');
  protected readonly comment = signal('');
  protected readonly recurring = signal(false);
  protected readonly weekdays = signal<number[]>([6]);
  protected readonly startTime = signal('02:00');
  protected readonly duration = signal('2h');
  protected readonly durationOk = computed(() => parseDurationMs(this.duration()) !== null);

  ngOnInit(): void {
    const now = Date.now();
    const zone = this.zone();
    this.matchers.set(this.initialMatchers().length ? this.initialMatchers().map((m) => ({ ...m })) : [{ name: '', value: '', isRegex: false, isEqual: true }]);
    this.starts.set(epochToWallTime(now, zone));
    this.ends.set(epochToWallTime(now + 2 * 3_600_000, zone));
  }

  protected setMatcher(i: number, change: Partial<SilenceMatcher>): void {
    this.matchers.update((ms) => ms.map((m, j) => (j === i ? { ...m, ...change } : m)));
  }

  protected setOp(i: number, op: string): void {
    this.setMatcher(i, { isEqual: op === '=' || op === '=~', isRegex: op === '=~' || op === '!~' });
  }

  protected opOf(m: SilenceMatcher): string {
    return (m.isEqual ? (m.isRegex ? '=~' : '=') : m.isRegex ? '!~' : '!=');
  }

  protected addMatcher(): void {
    this.matchers.update((ms) => [...ms, { name: '', value: '', isRegex: false, isEqual: true }]);
  }

  protected removeMatcher(i: number): void {
    this.matchers.update((ms) => ms.filter((_, j) => j !== i));
  }

  protected toggleDay(day: number, on: boolean): void {
    this.weekdays.update((d) => (on ? [...new Set([...d, day])] : d.filter((x) => x !== day)));
  }

  protected async submit(): Promise<void> {
    const me = this.session.me();
    const body = silenceBody({
      matchers: this.matchers(), starts: this.starts(), ends: this.ends(), zone: this.zone(),
      createdBy: me?.username ?? 'unknown', comment: this.comment(), recurring: this.recurring(),
      weekdays: this.weekdays(), startTime: this.startTime(), duration: this.duration(),
    });
    const silence = await this.action.run(() => this.api.createSilence(body));
    if (silence) this.created.emit(silence);
  }
}
