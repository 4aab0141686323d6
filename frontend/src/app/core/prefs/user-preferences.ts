import { Injectable, inject } from '@angular/core';
import { Session } from '../auth/session';

/**
 * Per-user preferences (the dashboard's layout, the Performance page's recent queries).
 * Kept in this browser's localStorage under the tenant and user id until the API has a
 * per-user settings resource; pages only see `read`/`write`, so moving them server-side
 * changes this class alone.
 */
@Injectable({ providedIn: 'root' })
export class UserPreferences {
  private readonly session = inject(Session);

  private key(name: string): string | null {
    const me = this.session.me();
    return me ? `oe.prefs.${me.tenant}.${me.id}.${name}` : null;
  }

  read<T>(name: string, valid: (value: unknown) => value is T): T | null {
    const key = this.key(name);
    if (!key) return null;
    try {
      const value: unknown = JSON.parse(localStorage.getItem(key) ?? 'null');
      return valid(value) ? value : null;
    } catch {
      return null;
    }
  }

  write(name: string, value: unknown): void {
    const key = this.key(name);
    if (key) localStorage.setItem(key, JSON.stringify(value));
  }

  remove(name: string): void {
    const key = this.key(name);
    if (key) localStorage.removeItem(key);
  }
}
