import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { appTestProviders, makeMe, problemBody, settle } from '../../../testing/setup';
import { LEAVE_FOR, LoginPage } from './login-page';

describe('LoginPage', () => {
  let http: HttpTestingController;
  let left: string[];

  async function open(next?: string) {
    left = [];
    TestBed.configureTestingModule({
      providers: [...appTestProviders([{ path: '**', children: [] }]), { provide: LEAVE_FOR, useValue: (url: string) => left.push(url) }],
    });
    http = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(LoginPage);
    if (next) fixture.componentRef.setInput('next', next);
    await settle();
    return fixture;
  }

  async function render(next?: string) {
    const fixture = await open(next);
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
    const button = fixture.nativeElement.querySelector('button.provider') as HTMLButtonElement;
    expect(button.textContent).toContain('Sign in with Keycloak');
    button.click();
    expect(left).toEqual(['/api/v1/auth/oidc/kc/login?next=%2Fincidents%2Fi-1']);
  });

  it('shows the local form before the providers answer, and signs in while they are still loading', async () => {
    const fixture = await open('/alerts');
    const el = fixture.nativeElement as HTMLElement;
    http.expectOne('/api/v1/auth/providers'); // slow: never answered in this test
    expect(el.textContent).toContain('Loading other sign-in options');
    fill(el, 'username', 'ann');
    fill(el, 'password', 'secret');
    el.querySelector('form')!.dispatchEvent(new Event('submit'));
    http.expectOne('/api/v1/auth/login').flush({ data: makeMe('responder') });
    await settle();
    expect(TestBed.inject(Router).url).toBe('/alerts');
  });

  it('keeps the local form when the providers call fails, says so, and can retry', async () => {
    const fixture = await open();
    const el = fixture.nativeElement as HTMLElement;
    http.expectOne('/api/v1/auth/providers').flush(problemBody(503, 'providers are down'), { status: 503, statusText: 'Service Unavailable' });
    await settle();
    expect(el.querySelector('form input[name=username]')).not.toBeNull();
    expect(el.querySelector('[role=status]')!.textContent).toContain('503: providers are down');
    [...el.querySelectorAll('button')].find((b) => b.textContent!.includes('Try again'))!.click();
    await settle();
    http.expectOne('/api/v1/auth/providers').flush({ data: { local: false, providers: [] } });
    await settle();
    expect(el.querySelector('form')).toBeNull();
    expect(el.textContent).toContain('No way to sign in is configured');
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
