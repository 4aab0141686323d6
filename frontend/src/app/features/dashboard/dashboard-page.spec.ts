import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { appTestProviders, makeMe, problemBody, settle, signIn } from '../../../testing/setup';
import { UserPreferences } from '../../core/prefs/user-preferences';
import { DashboardPage } from './dashboard-page';
import { DEFAULT_LAYOUT } from './layout';

const PREFS = '/api/v1/me/preferences';
const doc = (layout: unknown[] | null, version = 1) => ({ dashboard_layout: layout, ui: { theme: 'dark' }, version, updated_at_ms: 1 });

describe('DashboardPage', () => {
  let http: HttpTestingController;
  beforeEach(() => localStorage.clear());

  async function render(stored: ReturnType<typeof doc> | null) {
    TestBed.configureTestingModule({ providers: appTestProviders() });
    http = TestBed.inject(HttpTestingController);
    await signIn(makeMe('viewer', { id: 'u-42' }));
    const fixture = TestBed.createComponent(DashboardPage);
    await settle();
    if (stored) http.expectOne((r) => r.method === 'GET' && r.url === PREFS).flush({ data: stored });
    await settle();
    return fixture;
  }

  const titles = (el: HTMLElement) => [...el.querySelectorAll('section.tile h2')].map((h) => h.textContent!.trim());
  const flushTiles = () => http.match((r) => r.url !== PREFS).filter((r) => !r.cancelled).forEach((r) => r.flush({ data: [] }));

  it('shows the layout the API keeps, and saves changes once, debounced, with the version read', async () => {
    const fixture = await render(doc([{ id: 'cpu', kind: 'cpu', w: 2, h: 2 }, { id: 'alerts', kind: 'alerts', w: 1, h: 1 }], 3));
    const el = fixture.nativeElement as HTMLElement;
    expect(titles(el)).toEqual(['CPU of this host', 'Firing alerts']);
    expect(el.querySelector('.controls')).toBeNull();
    expect(http.match((r) => r.method === 'PUT').length).toBe(0); // loading is not a change

    (el.querySelector('button[aria-pressed]') as HTMLButtonElement).click();
    await settle();
    (el.querySelector('section.tile button[aria-label="Remove tile"]') as HTMLButtonElement).click();
    await settle();
    (el.querySelector('section.tile button[aria-label="Wider"]') as HTMLButtonElement).click();
    await settle();
    expect(titles(el)).toEqual(['Firing alerts']);
    expect(http.match((r) => r.method === 'PUT').length).toBe(0); // not yet: debounced

    const flushing = TestBed.inject(UserPreferences).flush();
    await settle();
    const put = http.expectOne((r) => r.method === 'PUT' && r.url === PREFS);
    expect(put.request.body).toEqual({ dashboard_layout: [{ id: 'alerts', kind: 'alerts', w: 2, h: 1 }], ui: { theme: 'dark' }, version: 3 });
    put.flush({ data: { ...put.request.body, version: 4, updated_at_ms: 2 } });
    await flushing;
    await settle();
    expect(el.querySelector('[role=status]')!.textContent).toContain('Layout saved');
    flushTiles();
  });

  it('re-reads after another tab saved (409) and applies the change over it', async () => {
    const fixture = await render(doc(null, 1));
    const el = fixture.nativeElement as HTMLElement;
    expect(titles(el).length).toBe(DEFAULT_LAYOUT.length);
    (el.querySelector('button[aria-pressed]') as HTMLButtonElement).click();
    await settle();
    (el.querySelector('section.tile button[aria-label="Remove tile"]') as HTMLButtonElement).click();
    await settle();
    const flushing = TestBed.inject(UserPreferences).flush();
    await settle();
    http.expectOne((r) => r.method === 'PUT').flush(problemBody(409, 'the preferences are at version 2, not 1', { current_version: 2 }),
      { status: 409, statusText: 'Conflict' });
    await settle();
    http.expectOne((r) => r.method === 'GET' && r.url === PREFS).flush({ data: { ...doc(null, 2), ui: { theme: 'light' } } });
    await settle();
    const retry = http.expectOne((r) => r.method === 'PUT');
    expect(retry.request.body.version).toBe(2);
    expect(retry.request.body.ui).toEqual({ theme: 'light' });
    expect(retry.request.body.dashboard_layout.length).toBe(DEFAULT_LAYOUT.length - 1);
    retry.flush({ data: { ...retry.request.body, version: 3 } });
    await flushing;
    flushTiles();
  });

  it('moves a layout this browser kept to the API, and shows a refused save', async () => {
    localStorage.setItem('oe.prefs.default.u-42.dashboard.layout', JSON.stringify([{ id: 'oncall', kind: 'oncall', w: 2, h: 1 }]));
    const fixture = await render(doc(null, 0));
    const el = fixture.nativeElement as HTMLElement;
    expect(titles(el)).toEqual(['On call now']);
    expect(localStorage.getItem('oe.prefs.default.u-42.dashboard.layout')).toBeNull();
    const flushing = TestBed.inject(UserPreferences).flush();
    await settle();
    http.expectOne((r) => r.method === 'PUT').flush(
      problemBody(422, 'dashboard_layout[0].w: must be a whole number from 1 to 12', { field: 'dashboard_layout[0].w' }),
      { status: 422, statusText: 'Unprocessable Entity' });
    await flushing;
    await settle();
    expect(el.querySelector('[role=alert]')!.textContent).toContain('dashboard_layout[0].w');
    flushTiles();
  });
});
