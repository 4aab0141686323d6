import { Injectable, inject } from '@angular/core';
import { ApiClient } from '../api/api-client';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface WindowMatcher {
  name: string;
  op: MatchOp;
  value: string;
}

/** A maintenance window as `/api/v1/maintenance-windows` shows it (services/maintenance_windows.py). */
export interface MaintenanceWindow {
  id: string;
  name: string;
  matchers: WindowMatcher[];
  schedule: {
    kind: 'once' | 'weekly' | 'rrule';
    timezone: string;
    starts_at_ms: number;
    ends_at_ms: number;
    weekdays: number[] | null;
    start_time: string | null;
    duration_ms: number | null;
    rrule: string | null;
  };
  comment: string;
  created_by: string;
  version: number;
  state: 'active' | 'upcoming' | 'expired';
  next_start_ms: number | null;
}

/** The body of a create: times as epoch seconds, durations as text. */
export interface WindowBody {
  name: string;
  matchers: WindowMatcher[];
  comment: string;
  schedule: {
    kind: 'once' | 'weekly' | 'rrule';
    timezone: string;
    starts_at: string;
    ends_at: string;
    weekdays?: number[];
    start_time?: string;
    duration?: string;
    rrule?: string;
  };
}

const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|(\S*))\s*$/;

/** `label="value"` lines (or comma-separated) as matchers; a line that is not one throws, naming it. */
export function parseMatchers(text: string): WindowMatcher[] {
  return text.split(/\n|,(?=\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=|!))/).map((l) => l.trim()).filter(Boolean).map((line) => {
    const m = MATCHER.exec(line);
    if (!m) throw new Error(`Not a matcher: ${line} (write label="value", or use != =~ !~)`);
    return { name: m[1], op: m[2] as MatchOp, value: m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[4] };
  });
}

@Injectable({ providedIn: 'root' })
export class MaintenanceApi {
  private readonly api = inject(ApiClient);
  private readonly base = '/api/v1/maintenance-windows';

  list(signal?: AbortSignal): Promise<MaintenanceWindow[]> {
    return this.api.get<MaintenanceWindow[]>(this.base, { limit: 1000 }, signal);
  }

  create(body: WindowBody): Promise<MaintenanceWindow> {
    return this.api.post<MaintenanceWindow>(this.base, body);
  }

  remove(w: MaintenanceWindow): Promise<void> {
    return this.api.delete(`${this.base}/${encodeURIComponent(w.id)}?version=${w.version}`);
  }
}
