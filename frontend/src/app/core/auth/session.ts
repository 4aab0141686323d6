import { Injectable, computed, inject, signal } from '@angular/core';
import { Router } from '@angular/router';
import { ApiClient } from '../api/api-client';
import { ProblemError } from '../api/problem';
import { LoginRequest, Me, PermissionName, Providers } from './me';

export type SessionState = 'unknown' | 'signed-in' | 'signed-out';

/**
 * The browser session (CONTRACT-AUTH.md): the server keeps it behind the HttpOnly
 * `oe_session` cookie, so the dashboard only knows who is signed in by asking
 * `/api/v1/auth/me`. Any 401 afterwards means the session ended (idle timeout,
 * revoked): `expired()` sends the user to the sign-in page and back afterwards.
 */
@Injectable({ providedIn: 'root' })
export class Session {
  private readonly api = inject(ApiClient);
  private readonly router = inject(Router);
  private loading: Promise<Me | null> | null = null;

  readonly me = signal<Me | null>(null);
  readonly state = signal<SessionState>('unknown');
  private readonly granted = computed(() => new Set(this.me()?.permissions ?? []));

  /** Whether the signed-in user holds `permission` (false when signed out). */
  can(permission: PermissionName): boolean {
    return this.granted().has(permission);
  }

  /** Who is signed in, asking the API once (concurrent callers share the answer). */
  load(): Promise<Me | null> {
    this.loading ??= this.fetchMe().finally(() => (this.loading = null));
    return this.loading;
  }

  private async fetchMe(): Promise<Me | null> {
    try {
      const me = await this.api.get<Me>('/api/v1/auth/me');
      this.signedIn(me);
      return me;
    } catch (err) {
      if (err instanceof ProblemError && err.status === 401) {
        this.signedOut();
        return null;
      }
      throw err;
    }
  }

  providers(): Promise<Providers> {
    return this.api.get<Providers>('/api/v1/auth/providers');
  }

  /** Rejects with the API's problem: 401 (wrong credentials, or `mfa_required`), 429. */
  async login(request: LoginRequest): Promise<Me> {
    const me = await this.api.post<Me>('/api/v1/auth/login', request);
    this.signedIn(me);
    return me;
  }

  async logout(): Promise<void> {
    try {
      await this.api.post<void>('/api/v1/auth/logout');
    } finally {
      this.signedOut();
      await this.router.navigateByUrl('/login');
    }
  }

  async updateProfile(change: Partial<Pick<Me, 'name' | 'timezone' | 'contacts'>>): Promise<Me> {
    const me = await this.api.patch<Me>('/api/v1/auth/me', change);
    this.me.set(me);
    return me;
  }

  /** The session ended under us: back to sign-in, then to where the user was. */
  expired(): void {
    if (this.state() !== 'signed-in') return;
    this.signedOut();
    const next = this.router.url;
    void this.router.navigate(['/login'], { queryParams: next && next !== '/' ? { next } : {} });
  }

  private signedIn(me: Me): void {
    this.me.set(me);
    this.state.set('signed-in');
  }

  private signedOut(): void {
    this.me.set(null);
    this.state.set('signed-out');
  }
}
