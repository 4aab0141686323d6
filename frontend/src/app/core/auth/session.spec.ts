import { HttpTestingController } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { appTestProviders, makeMe, problemBody, signIn } from '../../../testing/setup';
import { ApiClient } from '../api/api-client';
import { requireSession, safeNext } from './guards';
import { Permission } from './me';
import { Session } from './session';

@Component({ template: 'page' })
class PageStub {}

describe('Session', () => {
  let http: HttpTestingController;
  let session: Session;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: appTestProviders([
        { path: 'login', component: PageStub },
        { path: 'incidents/:id', component: PageStub, canActivate: [requireSession] },
      ]),
    });
    http = TestBed.inject(HttpTestingController);
    session = TestBed.inject(Session);
  });

  afterEach(() => http.verify());

  it('is signed out when /auth/me answers 401', async () => {
    const me = session.load();
    http.expectOne('/api/v1/auth/me').flush(problemBody(401, 'not signed in'), { status: 401, statusText: 'Unauthorized' });
    expect(await me).toBeNull();
    expect(session.state()).toBe('signed-out');
  });

  it('shares one /auth/me request between concurrent callers', async () => {
    const a = session.load();
    const b = session.load();
    http.expectOne('/api/v1/auth/me').flush({ data: makeMe('viewer') });
    expect((await a)?.role).toBe('viewer');
    expect((await b)?.role).toBe('viewer');
  });

  it('knows what the user may do from Me.permissions', async () => {
    await signIn(makeMe('viewer'));
    expect(session.can(Permission.readIncidents)).toBe(true);
    expect(session.can(Permission.actOnIncidents)).toBe(false);
  });

  it('signs in with the contract body and keeps the answer', async () => {
    const login = session.login({ username: 'ann', password: 'pw', totp: null, tenant: null });
    const req = http.expectOne('/api/v1/auth/login');
    expect(req.request.method).toBe('POST');
    expect(req.request.body).toEqual({ username: 'ann', password: 'pw', totp: null, tenant: null });
    req.flush({ data: makeMe('responder') });
    await login;
    expect(session.state()).toBe('signed-in');
    expect(session.can(Permission.actOnIncidents)).toBe(true);
  });

  it('sends a signed-out visitor to sign in, remembering where they were going', async () => {
    const harness = await RouterTestingHarness.create();
    const navigation = harness.navigateByUrl('/incidents/inc-7');
    await new Promise((r) => setTimeout(r));
    http.expectOne('/api/v1/auth/me').flush(problemBody(401, 'no session'), { status: 401, statusText: 'Unauthorized' });
    await navigation;
    expect(TestBed.inject(Router).url).toBe('/login?next=%2Fincidents%2Finc-7');
  });

  it('goes to sign-in when any other call answers 401 (the session ended)', async () => {
    await signIn(makeMe('admin'));
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/incidents/inc-9');
    const call = TestBed.inject(ApiClient).get('/api/v1/incidents').catch(() => null);
    http.expectOne('/api/v1/incidents').flush(problemBody(401, 'session expired'), { status: 401, statusText: 'Unauthorized' });
    await call;
    await harness.fixture.whenStable();
    expect(session.state()).toBe('signed-out');
    expect(TestBed.inject(Router).url).toBe('/login?next=%2Fincidents%2Finc-9');
  });

  it('revokes the session on sign-out and forgets the user even if the call fails', async () => {
    await signIn(makeMe('admin'));
    const out = session.logout().catch(() => null);
    http.expectOne('/api/v1/auth/logout').flush(problemBody(500, 'boom'), { status: 500, statusText: 'Server Error' });
    await out;
    expect(session.me()).toBeNull();
  });
});

describe('safeNext', () => {
  it('only follows same-origin relative paths', () => {
    expect(safeNext('/incidents/1?x=2')).toBe('/incidents/1?x=2');
    expect(safeNext('//evil.example/x')).toBe('/dashboard');
    expect(safeNext('/\\evil.example')).toBe('/dashboard');
    expect(safeNext('https://evil.example/')).toBe('/dashboard');
    expect(safeNext('/login?next=/x')).toBe('/dashboard');
    expect(safeNext(undefined)).toBe('/dashboard');
  });
});
