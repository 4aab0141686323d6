import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Role } from '../../core/auth/me';
import { Incident } from '../../core/model/incidents';
import { appTestProviders, makeMe, problemBody, settle, signIn } from '../../../testing/setup';
import { IncidentPage } from './incident-page';
import { awaitingApproval } from './remediation-panel';

function incident(change: Partial<Incident> = {}): Incident {
  return {
    id: 'inc-1', title: 'CPU high on web-1', severity: 'SEV2', status: 'triggered', opened_at_ms: 1_000, acknowledged_at_ms: null,
    mitigated_at_ms: null, resolved_at_ms: null, closed_at_ms: null, alerts: ['fp1'], summary: '', version: 1,
    allowed_actions: ['acknowledge'], mtta_ms: null, mttr_ms: null,
    timeline: [{ at_ms: 1_000, kind: 'opened', actor: 'system', text: 'opened by alert', data: {} }], workflow: null, ...change,
  };
}

describe('IncidentPage', () => {
  let http: HttpTestingController;

  async function render(role: Role, inc = incident()) {
    TestBed.configureTestingModule({ providers: appTestProviders() });
    http = TestBed.inject(HttpTestingController);
    await signIn(makeMe(role));
    const fixture = TestBed.createComponent(IncidentPage);
    fixture.componentRef.setInput('id', 'inc-1');
    await settle();
    http.expectOne('/api/v1/incidents/inc-1').flush({ data: inc });
    await settle();
    return fixture.nativeElement as HTMLElement;
  }

  const buttons = (el: HTMLElement) => [...el.querySelectorAll('button')].map((b) => b.textContent!.trim());

  it('shows a viewer no write buttons', async () => {
    const el = await render('viewer', incident({ allowed_actions: ['acknowledge'] }));
    expect(el.textContent).toContain('CPU high on web-1');
    expect(el.textContent).toContain('opened by alert');
    expect(buttons(el)).toEqual([]);
    expect(el.querySelector('textarea')).toBeNull();
    expect(el.querySelector('select')).toBeNull();
  });

  it('lets a responder acknowledge and shows the new timeline', async () => {
    const el = await render('responder');
    expect(buttons(el)).toContain('Acknowledge');
    [...el.querySelectorAll('button')].find((b) => b.textContent!.trim() === 'Acknowledge')!.click();
    const req = http.expectOne('/api/v1/incidents/inc-1/acknowledge');
    expect(req.request.method).toBe('POST');
    req.flush({ data: incident({ status: 'acknowledged', version: 2, allowed_actions: ['mitigate'], timeline: [
      { at_ms: 1_000, kind: 'opened', actor: 'system', text: 'opened by alert', data: {} },
      { at_ms: 2_000, kind: 'acknowledge', actor: 'responder', text: 'acknowledged', data: {} },
    ] }) });
    await settle();
    http.match('/api/v1/incidents/inc-1').forEach((r) => r.flush({ data: incident({ status: 'acknowledged', version: 2, allowed_actions: ['mitigate'] }) }));
    await settle();
    expect(buttons(el)).toContain('Mitigate');
    expect(buttons(el)).not.toContain('Acknowledge');
  });

  it("shows the API's problem when an action is refused", async () => {
    const el = await render('responder');
    [...el.querySelectorAll('button')].find((b) => b.textContent!.trim() === 'Acknowledge')!.click();
    http.expectOne('/api/v1/incidents/inc-1/acknowledge').flush(
      problemBody(409, "cannot acknowledge an incident that is 'acknowledged'", { state: 'acknowledged' }),
      { status: 409, statusText: 'Conflict' });
    await settle();
    expect(el.querySelector('[role=alert]')!.textContent).toContain("cannot acknowledge an incident that is 'acknowledged'");
  });
});

describe('awaitingApproval', () => {
  it('reads the gated step from the run phase', () => {
    expect(awaitingApproval({ phase: 'awaiting approval of restart-web', current_step: 'restart-web' })).toBe('restart-web');
    expect(awaitingApproval({ phase: 'running', current_step: 'x' })).toBeNull();
  });
});
