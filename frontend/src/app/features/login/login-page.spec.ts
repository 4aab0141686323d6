import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { appTestProviders, makeMe, problemBody, settle } from '../../../testing/setup';
import { LoginPage } from './login-page';

describe('LoginPage', () => {
  let http: HttpTestingController;

  async function render(next?: string) {
    TestBed.configureTestingModule({ providers: appTestProviders([{ path: '**', children: [] }]) });
    http = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(LoginPage);
    if (next) fixture.componentRef.setInput('next', next);
    await settle();
    http.expectOne('/api/v1/auth/providers').flush({
      data: { local: true, providers: [{ id: 'kc', name: 'Keycloak', kind: 'oidc', login_url: '/api/v1/auth/oidc/kc/login' }] },
    });
    await settle();
    return fixture;
  }

  function fill(el: HTMLElement, name: string, value: string) {
    const input = el.querySelector<HTMLInputElement>(`input[name=${name}]`)!;
    input.value = value;
    input.dispatchEvent(new Event('input'));
  }

  it('offers a button per provider that comes back to the page asked for', async () => {
    const fixture = await render('/incidents/i-1');
    const link = fixture.nativeElement.querySelector('a.button') as HTMLAnchorElement;
    expect(link.textContent).toContain('Sign in with Keycloak');
    expect(link.getAttribute('href')).toBe('/api/v1/auth/oidc/kc/login?next=%2Fincidents%2Fi-1');
  });

  it('asks for the TOTP code when the API says mfa_required, then signs in and goes on', async () => {
    const fixture = await render('/alerts');
    const el = fixture.nativeElement as HTMLElement;
    fill(el, 'username', 'ann');
    fill(el, 'password', 'secret');
    el.querySelector('form')!.dispatchEvent(new Event('submit'));
    http.expectOne('/api/v1/auth/login').flush(problemBody(401, 'a TOTP code is required', { mfa_required: true }), { status: 401, statusText: 'Unauthorized' });
    await settle();
    expect(el.querySelector('input[name=totp]')).not.toBeNull();
    expect(el.querySelector('[role=alert]')).toBeNull();
    fill(el, 'totp', '123456');
    el.querySelector('form')!.dispatchEvent(new Event('submit'));
    const req = http.expectOne('/api/v1/auth/login');
    expect(req.request.body).toEqual({ username: 'ann', password: 'secret', totp: '123456', tenant: null });
    req.flush({ data: makeMe('responder') });
    await settle();
    expect(TestBed.inject(Router).url).toBe('/alerts');
  });

  it('shows the API problem when sign-in is refused', async () => {
    const fixture = await render();
    const el = fixture.nativeElement as HTMLElement;
    fill(el, 'username', 'ann');
    fill(el, 'password', 'wrong');
    el.querySelector('form')!.dispatchEvent(new Event('submit'));
    http.expectOne('/api/v1/auth/login').flush(problemBody(429, 'too many failed sign-ins', { limit: 'login_failures' }), {
      status: 429, statusText: 'Too Many Requests', headers: { 'Retry-After': '60' },
    });
    await settle();
    const alert = el.querySelector('[role=alert]')!.textContent!;
    expect(alert).toContain('too many failed sign-ins');
    expect(alert).toContain('login_failures');
    expect(alert).toContain('60 s');
  });
});
