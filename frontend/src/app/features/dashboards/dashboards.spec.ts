import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { appTestProviders, makeMe, problemBody, settle, signIn } from '../../../testing/setup';
import { Dashboard, DashboardPanel } from '../../core/model/dashboards';
import { SaveToDashboard, panelFromState } from '../performance/save-to-dashboard';
import { SavedDashboardPage } from './dashboard-page';
import { DashboardsPage } from './dashboards-page';
import { exportFileName, readImport } from './import';
import { panelView } from './panel-view';

const PANEL: DashboardPanel = {
  title: 'CPU', queries: ['max(cpu)'], chart: 'area', range: { from: 'now-6h', to: 'now', timezone: 'UTC' }, step: null,
};
const DASH: Dashboard = {
  id: 'dash-1', schema: 'observer-eye.dashboard/v1', title: 'Hosts', description: 'the fleet', panels: [PANEL, { ...PANEL, title: 'Table', chart: 'table' }],
  version: 3, created_by: 'u-admin', created_at_ms: 1, updated_by: 'u-admin', updated_at_ms: 1,
};

function button(el: HTMLElement, text: string): HTMLButtonElement {
  return [...el.querySelectorAll('button')].find((b) => b.textContent!.trim() === text)!;
}

function type(el: HTMLElement, name: string, value: string): void {
  const input = el.querySelector<HTMLInputElement | HTMLSelectElement>(`[name=${name}]`)!;
  input.value = value;
  input.dispatchEvent(new Event(input.tagName === 'SELECT' ? 'change' : 'input'));
}

describe('dashboard import and panels', () => {
  it('names every problem of a file that is not a dashboard', () => {
    expect(readImport('{"title": ').problems[0]).toContain('not JSON');
    expect(readImport('[1]').problems).toEqual(['The file holds no dashboard (expected a JSON object).']);
    const bad = readImport(JSON.stringify({ schema: 'grafana', title: '', panels: [{ title: 'x', queries: [], chart: 'pie' }, 3] }));
    expect(bad.definition).toBeNull();
    expect(bad.problems.map((p) => p.split(':')[0])).toEqual(['schema', 'title', 'panels[0].queries', 'panels[0].chart', 'panels[1]']);
    const good = readImport(JSON.stringify({ schema: 'observer-eye.dashboard/v1', title: 'Hosts', panels: [PANEL] }));
    expect(good).toEqual({ definition: { schema: 'observer-eye.dashboard/v1', title: 'Hosts', description: '', panels: [PANEL] }, problems: [] });
    expect(exportFileName('CPU / hosts (prod)')).toBe('CPU-hosts-prod.dashboard.json');
  });

  it('turns the Performance view into a panel and back', () => {
    const state = { panels: [{ expr: ' up ' }, { expr: '' }], range: { from: 'now-1h', to: 'now', tz: 'Europe/Berlin' },
      mode: 'stacked' as const, view: 'chart' as const, step: 'auto' };
    const panel = panelFromState(state, ' Up ');
    expect(panel).toEqual({ title: 'Up', queries: ['up'], chart: 'stacked', range: { from: 'now-1h', to: 'now', timezone: 'Europe/Berlin' }, step: null });
    expect(panelFromState({ ...state, view: 'table', step: '30s' }, 'x')).toMatchObject({ chart: 'table', step: '30s' });
    expect(panelView({ ...panel, chart: 'table', step: '1m' })).toEqual({
      range: { from: 'now-1h', to: 'now', tz: 'Europe/Berlin' }, mode: 'line', view: 'table', step: '1m' });
  });
});

describe('dashboard pages', () => {
  let http: HttpTestingController;
  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: appTestProviders() });
    http = TestBed.inject(HttpTestingController);
    await signIn(makeMe('responder'));
  });
  const ignoreCharts = () => http.match((r) => r.url.startsWith('/prometheus') || r.url.includes('stream')).forEach((r) => r.flush({ status: 'success', data: { resultType: 'matrix', result: [] } }));

  it('imports a file: a broken one shows its problems, a good one is sent and opened', async () => {
    const navigate = vi.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
    const fixture = TestBed.createComponent(DashboardsPage);
    const el = fixture.nativeElement as HTMLElement;
    await settle();
    http.expectOne((r) => r.url === '/api/v1/dashboards').flush({ data: [{ ...DASH, panels: 2 }], next_cursor: null });
    await settle();
    expect(el.querySelector('tbody a')!.textContent).toBe('Hosts');

    const input = el.querySelector<HTMLInputElement>('input[type=file]')!;
    const choose = async (text: string) => {
      Object.defineProperty(input, 'files', { value: [new File([text], 'd.json')], configurable: true });
      input.dispatchEvent(new Event('change'));
      await settle();
    };
    await choose('{"title": "x", "panels": [{"title": "p"}]}');
    expect(el.querySelector('[role=alert]')!.textContent).toContain('panels[0].queries');
    http.expectNone('/api/v1/dashboards');

    await choose(JSON.stringify({ schema: 'observer-eye.dashboard/v1', title: 'Hosts', description: '', panels: [{ ...PANEL, queries: ['rate(x[5m]'] }] }));
    http.expectOne((r) => r.method === 'POST').flush(problemBody(422, 'parse error: unclosed left parenthesis', { field: 'panels[0].queries[0]' }),
      { status: 422, statusText: 'Unprocessable Entity' });
    await settle();
    expect(el.querySelector('[role=alert]')!.textContent).toContain('panels[0].queries[0]');

    await choose(JSON.stringify({ schema: 'observer-eye.dashboard/v1', title: 'Hosts', description: '', panels: [PANEL] }));
    const post = http.expectOne((r) => r.method === 'POST' && r.url === '/api/v1/dashboards');
    expect(post.request.body).toEqual({ schema: 'observer-eye.dashboard/v1', title: 'Hosts', description: '', panels: [PANEL] });
    post.flush({ data: { ...DASH, id: 'dash-2' } });
    await settle();
    expect(navigate).toHaveBeenCalledWith(['/dashboards', 'dash-2']);
  });

  it('shows a dashboard\'s panels, exports it and removes a panel with the version read', async () => {
    const fixture = TestBed.createComponent(SavedDashboardPage);
    fixture.componentRef.setInput('id', 'dash-1');
    const el = fixture.nativeElement as HTMLElement;
    await settle();
    http.expectOne('/api/v1/dashboards/dash-1').flush({ data: DASH });
    await settle();
    ignoreCharts();
    expect([...el.querySelectorAll('section.panel h2')].map((h) => h.textContent)).toEqual(['CPU', 'Table']);
    expect(el.querySelectorAll('oe-query-panel').length).toBe(2);
    expect(el.querySelector('section.panel a')!.getAttribute('href')).toContain('mode=area');

    const created: string[] = [];
    vi.spyOn(URL, 'createObjectURL').mockImplementation(() => { created.push('blob'); return 'blob:x'; });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined);
    const clicked = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    button(el, 'Export JSON').click();
    await settle();
    http.expectOne('/api/v1/dashboards/dash-1/export').flush({ schema: 'observer-eye.dashboard/v1', title: 'Hosts', description: 'the fleet', panels: DASH.panels });
    await settle();
    expect(created.length).toBe(1);
    expect((clicked.mock.contexts[0] as HTMLAnchorElement).download).toBe('Hosts.dashboard.json');

    el.querySelector<HTMLButtonElement>('button[aria-label="Remove panel CPU"]')!.click();
    await settle();
    const put = http.expectOne((r) => r.method === 'PUT' && r.url === '/api/v1/dashboards/dash-1');
    expect(put.request.body.version).toBe(3);
    expect(put.request.body.panels.map((p: DashboardPanel) => p.title)).toEqual(['Table']);
    put.flush(problemBody(409, "dashboard 'dash-1' is at version 4, not 3", { current_version: 4 }), { status: 409, statusText: 'Conflict' });
    await settle();
    expect(el.querySelector('[role=alert]')!.textContent).toContain('version 4');
    ignoreCharts();
  });

  it('saves the Performance view to a new dashboard, then appends to it', async () => {
    const fixture = TestBed.createComponent(SaveToDashboard);
    fixture.componentRef.setInput('state', { panels: [{ expr: 'up' }], range: { from: 'now-1h', to: 'now', tz: 'UTC' },
      mode: 'line', view: 'chart', step: 'auto' });
    const el = fixture.nativeElement as HTMLElement;
    await settle();
    http.expectOne((r) => r.url === '/api/v1/dashboards').flush({ data: [], next_cursor: null });
    await settle();
    el.querySelector<HTMLFormElement>('form')!.dispatchEvent(new Event('submit'));
    await settle();
    expect(el.querySelector('[role=alert]')!.textContent).toContain('panel a title');
    type(el, 'panelTitle', 'Up');
    type(el, 'dashboardTitle', 'Fleet');
    await settle();
    el.querySelector<HTMLFormElement>('form')!.dispatchEvent(new Event('submit'));
    await settle();
    const post = http.expectOne((r) => r.method === 'POST');
    expect(post.request.body).toEqual({ title: 'Fleet', description: '', panels: [
      { title: 'Up', queries: ['up'], chart: 'line', range: { from: 'now-1h', to: 'now', timezone: 'UTC' }, step: null }] });
    const made = { ...DASH, id: 'dash-9', title: 'Fleet', version: 1, panels: post.request.body.panels };
    post.flush({ data: made });
    await settle();
    http.expectOne((r) => r.url === '/api/v1/dashboards').flush({ data: [{ ...made, panels: 1 }], next_cursor: null });
    await settle();
    expect(el.querySelector('[role=status]')!.textContent).toContain('Fleet');

    el.querySelector<HTMLFormElement>('form')!.dispatchEvent(new Event('submit'));  // the same panel again, to the saved one
    await settle();
    http.expectOne('/api/v1/dashboards/dash-9').flush({ data: made });
    await settle();
    const put = http.expectOne((r) => r.method === 'PUT');
    expect(put.request.body.version).toBe(1);
    expect(put.request.body.panels.length).toBe(2);
    put.flush({ data: { ...made, version: 2, panels: put.request.body.panels } });
    await settle();
    http.expectOne((r) => r.url === '/api/v1/dashboards').flush({ data: [], next_cursor: null });
  });
});
