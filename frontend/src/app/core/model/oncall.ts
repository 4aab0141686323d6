import { Injectable, inject } from '@angular/core';
import { ApiClient } from '../api/api-client';

/** A shift as the on-call views answer it (services/oncall_views.py shift_view). */
export interface Shift {
  user: string | null;
  start_ms: number;
  end_ms: number;
  start: string;
  end: string;
}

export interface NowAndNext {
  schedule: string;
  name: string;
  timezone: string;
  at_ms: number;
  current: Shift | null;
  next: Shift | null;
}

export interface ShiftRange {
  schedule: string;
  timezone: string;
  start_ms: number;
  end_ms: number;
  shifts: Shift[];
}

/** A schedule or an escalation policy: its document plus the API's bookkeeping. */
export interface OnCallRecord {
  id: string;
  name?: string;
  version: number;
  updated_by: string;
  updated_at_ms: number;
  [field: string]: unknown;
}

export type OnCallKind = 'schedules' | 'escalation-policies';

/** On-call (ADR 0019): who is on call, a schedule's shifts, overrides, and the
 * schedules and escalation policies themselves. */
@Injectable({ providedIn: 'root' })
export class OnCallApi {
  private readonly api = inject(ApiClient);

  everyone(signal?: AbortSignal): Promise<NowAndNext[]> {
    return this.api.get<NowAndNext[]>('/api/v1/oncall', undefined, signal);
  }

  shifts(scheduleId: string, startMs: number, endMs: number, signal?: AbortSignal): Promise<ShiftRange> {
    return this.api.get<ShiftRange>(`/api/v1/schedules/${encodeURIComponent(scheduleId)}/shifts`,
      { start: (startMs / 1000).toFixed(0), end: (endMs / 1000).toFixed(0) }, signal);
  }

  addOverride(scheduleId: string, user: string, startMs: number, endMs: number): Promise<unknown> {
    return this.api.post(`/api/v1/schedules/${encodeURIComponent(scheduleId)}/overrides`,
      { user, start_ms: startMs, end_ms: endMs });
  }

  async list(kind: OnCallKind, signal?: AbortSignal): Promise<OnCallRecord[]> {
    const all: OnCallRecord[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: OnCallRecord[]; next_cursor: string | null } = await this.api.getBody(
        `/api/v1/${kind}`, { limit: 500, cursor }, signal);
      all.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    return all;
  }

  create(kind: OnCallKind, doc: Record<string, unknown>): Promise<OnCallRecord> {
    return this.api.post<OnCallRecord>(`/api/v1/${kind}`, doc);
  }

  replace(kind: OnCallKind, id: string, version: number, doc: Record<string, unknown>): Promise<OnCallRecord> {
    return this.api.put<OnCallRecord>(`/api/v1/${kind}/${encodeURIComponent(id)}`, { ...doc, version });
  }

  remove(kind: OnCallKind, id: string, version: number): Promise<void> {
    return this.api.delete(`/api/v1/${kind}/${encodeURIComponent(id)}?version=${version}`);
  }
}

/** A record's document without the bookkeeping (what a write sends back). */
export function onCallDocument(r: OnCallRecord): Record<string, unknown> {
  const { version: _v, updated_by: _b, updated_at_ms: _a, ...doc } = r;
  return doc;
}

/** Days (as local dates in `zone`) from `startMs`, each with the shifts overlapping it. */
export function calendarDays(range: ShiftRange, days: number, dayKey: (ms: number) => string): { day: string; shifts: Shift[] }[] {
  const out: { day: string; shifts: Shift[] }[] = [];
  const DAY = 86_400_000;
  for (let i = 0; i < days; i++) {
    const from = range.start_ms + i * DAY;
    const to = from + DAY;
    out.push({ day: dayKey(from), shifts: range.shifts.filter((s) => s.start_ms < to && s.end_ms > from) });
  }
  return out;
}
