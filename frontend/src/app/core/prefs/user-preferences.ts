import { Injectable, inject, signal } from '@angular/core';
import { ApiClient } from '../api/api-client';
import { Problem, ProblemError, toProblem } from '../api/problem';
import { Session } from '../auth/session';

/** The signed-in user's preferences as `GET /api/v1/me/preferences` answers them. */
export interface PreferencesDoc {
  /** The dashboard's tiles in order; null: the default layout. */
  dashboard_layout: unknown[] | null;
  /** Named UI choices. */
  ui: Record<string, unknown>;
  /** 0 until the first save; every save names the version it read. */
  version: number;
  updated_at_ms: number;
}

export type PreferencesChange = Partial<Pick<PreferencesDoc, 'dashboard_layout' | 'ui'>>;
export type SaveState = 'idle' | 'pending' | 'saving' | 'saved' | 'failed';

const PATH = '/api/v1/me/preferences';
export const SAVE_DELAY_MS = 800;

/**
 * Per-user preferences. What should follow the user from browser to browser (the
 * dashboard's layout, UI choices) is kept by the API (`/api/v1/me/preferences`, one
 * versioned document): read once per sign-in, changed with `save` (debounced, so
 * arranging tiles sends one request, not one per click) and written with the version
 * read; a 409 means another tab saved first: the document is re-read and the change
 * applied over it, since it is the user's own. The time zone and notification contacts
 * are the profile's (`PATCH /api/v1/auth/me`), not preferences.
 *
 * Drafts that belong to this device (a postmortem being written) stay in this
 * browser's localStorage (`read`/`write`/`remove`), under the tenant and user id.
 */
@Injectable({ providedIn: 'root' })
export class UserPreferences {
  private readonly session = inject(Session);
  private readonly api = inject(ApiClient);
  private loading: { user: string; promise: Promise<PreferencesDoc> } | null = null;
  private pending: PreferencesChange = {};
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: Promise<void> | null = null;
  readonly saveState = signal<SaveState>('idle');
  readonly saveProblem = signal<Problem | null>(null);

  private userKey(): string | null {
    const me = this.session.me();
    return me ? `${me.tenant}.${me.id}` : null;
  }

  /** The stored document (asked once per signed-in user; the same answer after that). */
  load(): Promise<PreferencesDoc> {
    const user = this.userKey() ?? '';
    if (this.loading?.user !== user) {
      const promise = this.api.get<PreferencesDoc>(PATH);
      promise.catch(() => {
        if (this.loading?.promise === promise) this.loading = null; // a failed read is asked again next time
      });
      this.loading = { user, promise };
    }
    return this.loading.promise;
  }

  /** Save `change` after `delayMs` of quiet (changes in between are merged). */
  save(change: PreferencesChange, delayMs = SAVE_DELAY_MS): void {
    this.pending = { ...this.pending, ...change };
    this.saveState.set('pending');
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), delayMs);
  }

  /** Send what is pending now (and wait for it). */
  async flush(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    while (this.inFlight) await this.inFlight;
    if (!Object.keys(this.pending).length) return;
    const change = this.pending;
    this.pending = {};
    this.inFlight = this.send(change).finally(() => (this.inFlight = null));
    await this.inFlight;
  }

  private async send(change: PreferencesChange): Promise<void> {
    this.saveState.set('saving');
    this.saveProblem.set(null);
    try {
      try {
        await this.put(change, await this.load());
      } catch (err) {
        if (!(err instanceof ProblemError && err.status === 409)) throw err;
        this.loading = null; // another tab saved first: re-read, apply this change over it
        await this.put(change, await this.load());
      }
      this.saveState.set(Object.keys(this.pending).length ? 'pending' : 'saved');
    } catch (err) {
      this.saveProblem.set(toProblem(err));
      this.saveState.set('failed');
    }
  }

  private async put(change: PreferencesChange, base: PreferencesDoc): Promise<void> {
    const body = { dashboard_layout: base.dashboard_layout, ui: base.ui, ...change, version: base.version };
    const saved = await this.api.put<PreferencesDoc>(PATH, body);
    if (this.loading) this.loading = { ...this.loading, promise: Promise.resolve(saved) };
  }

  private localKey(name: string): string | null {
    const user = this.userKey();
    return user ? `oe.prefs.${user}.${name}` : null;
  }

  /** A value kept in this browser only. */
  read<T>(name: string, valid: (value: unknown) => value is T): T | null {
    const key = this.localKey(name);
    if (!key) return null;
    try {
      const value: unknown = JSON.parse(localStorage.getItem(key) ?? 'null');
      return valid(value) ? value : null;
    } catch {
      return null;
    }
  }

  write(name: string, value: unknown): void {
    const key = this.localKey(name);
    if (key) localStorage.setItem(key, JSON.stringify(value));
  }

  remove(name: string): void {
    const key = this.localKey(name);
    if (key) localStorage.removeItem(key);
  }
}
