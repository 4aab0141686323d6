import { provideHttpClient, withInterceptors, withXsrfConfiguration } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component, EnvironmentProviders, Provider, provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Routes, provideRouter, withComponentInputBinding } from '@angular/router';
import { sessionExpiry } from '../app/core/auth/guards';
import { Me, Role } from '../app/core/auth/me';
import { Session } from '../app/core/auth/session';
import { ROLE_PERMISSIONS } from '../app/features/settings/roles';

/** The app's HTTP and router setup over Angular's testing backend (requests are
 * answered by the test through HttpTestingController). */
@Component({ template: '' })
class SignInStub {}

export function appTestProviders(routes: Routes = [{ path: 'login', component: SignInStub }]): (Provider | EnvironmentProviders)[] {
  return [
    provideZonelessChangeDetection(),
    provideRouter(routes, withComponentInputBinding()),
    provideHttpClient(withXsrfConfiguration({ cookieName: 'oe_csrf', headerName: 'X-CSRF-Token' }), withInterceptors([sessionExpiry])),
    provideHttpClientTesting(),
  ];
}

// What the API grants each role (the Roles page's table, checked against the domain).
const PERMISSIONS: Record<Role, readonly string[]> = ROLE_PERMISSIONS;

export function makeMe(role: Role = 'admin', change: Partial<Me> = {}): Me {
  return {
    id: `u-${role}`, tenant: 'default', username: role, email: `${role}@example.test`, name: `The ${role}`, role,
    permissions: [...PERMISSIONS[role]], platform_admin: false, mfa_enabled: false, timezone: 'UTC', contacts: [], teams: [],
    auth: 'local', ...change,
  };
}

/** Sign `me` in as the API would have answered `/auth/me`. */
export async function signIn(me: Me): Promise<void> {
  const session = TestBed.inject(Session);
  const loading = session.load();
  TestBed.inject(HttpTestingController).expectOne('/api/v1/auth/me').flush({ data: me });
  await loading;
}

/** Let pending promises and signal effects run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
  }
  // Not whenStable(): requests the test has not answered yet keep the app unstable.
  TestBed.tick();
  await Promise.resolve();
}

export function problemBody(status: number, detail: string, extra: Record<string, unknown> = {}) {
  return { type: 'about:blank', title: status === 409 ? 'Not allowed in the current state' : 'Error', status, detail, ...extra };
}
