import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { appTestProviders, makeMe, problemBody, settle, signIn } from '../../../testing/setup';
import { ApiKeysPage } from './api-keys-page';
import { AuditPage } from './audit-page';
import { SettingsNav } from './settings-nav';
import { parseMembers } from './teams-page';
import { parseSteps } from './runbooks-page';
import { parseMatchers } from '../../core/model/maintenance';

const KEY = {
  id: 'key_1', name: 'grafana', key: 'oe_abc…', prefix: 'oe_abc', scopes: ['read'], owner: 'u-admin',
  created_at_ms: 1, expires_at_ms: null, revoked_at_ms: null,
};

function buttons(el: HTMLElement, text: string): HTMLButtonElement[] {
  return [...el.querySelectorAll('button')].filter((b) => b.textContent!.trim() === text);
}

describe('settings', () => {
  let http: HttpTestingController;
  beforeEach(() => {
    TestBed.configureTestingModule({ providers: appTestProviders() });
    http = TestBed.inject(HttpTestingController);
  });

  it('lists only the settings pages the user may open', async () => {
    await signIn(makeMe('viewer'));
    const viewer = TestBed.createComponent(SettingsNav);
    await settle();
    const links = [...(viewer.nativeElement as HTMLElement).querySelectorAll('a')].map((a) => a.textContent!.trim());
    expect(links).toEqual(['Profile', 'Notifications', 'Teams', 'Roles', 'Runbooks', 'Routing', 'On call', 'Maintenance']);
  });

  it('shows a new key\'s secret once, and revokes with the API\'s problem shown when refused', async () => {
    await signIn(makeMe('admin'));
    const fixture = TestBed.createComponent(ApiKeysPage);
    const el = fixture.nativeElement as HTMLElement;
    await settle();
    http.expectOne('/api/v1/api-keys').flush({ data: [KEY] });
    await settle();
    expect(el.textContent).toContain('oe_abc…');

    const name = el.querySelector<HTMLInputElement>('input[name=name]')!;
    name.value = 'ci';
    name.dispatchEvent(new Event('input'));
    el.querySelector<HTMLFormElement>('form')!.dispatchEvent(new Event('submit'));
    const create = http.expectOne((r) => r.method === 'POST' && r.url === '/api/v1/api-keys');
    expect(create.request.body).toEqual({ name: 'ci', scopes: ['read'], never_expires: false, expires_in_days: 90 });
    create.flush({ data: { ...KEY, id: 'key_2', name: 'ci', secret: 'oe_secret_once' } });
    await settle();
    http.expectOne('/api/v1/api-keys').flush({ data: [KEY, { ...KEY, id: 'key_2', name: 'ci' }] });
    await settle();
    expect(el.querySelector('[role=status]')!.textContent).toContain('oe_secret_once');
    buttons(el, 'I have copied it')[0].click();
    await settle();
    expect(el.textContent).not.toContain('oe_secret_once');

    buttons(el, 'Revoke')[0].click();
    http.expectOne((r) => r.method === 'DELETE' && r.url === '/api/v1/api-keys/key_1')
      .flush(problemBody(403, "role 'admin' lacks permission"), { status: 403, statusText: 'Forbidden' });
    await settle();
    expect(el.querySelector('[role=alert]')!.textContent).toContain("lacks permission");
  });

  it('pages the audit log older and back newer with the API\'s cursor', async () => {
    await signIn(makeMe('admin'));
    const fixture = TestBed.createComponent(AuditPage);
    const el = fixture.nativeElement as HTMLElement;
    await settle();
    const entry = (id: string) => ({ id, at_ms: 1, actor: 'u', actor_name: 'ann', actor_tenant: null, action: 'user.invite',
      target: 'user:x', remote_addr: '', status: null, before: null, after: null });
    http.expectOne((r) => r.url === '/api/v1/audit' && !r.params.has('before')).flush({ data: [entry('a1')], next_before: 'a1' });
    await settle();
    buttons(el, 'Older')[0].click();
    await settle();
    const older = http.expectOne((r) => r.url === '/api/v1/audit' && r.params.get('before') === 'a1');
    expect(older.request.params.get('limit')).toBe('50');
    older.flush({ data: [entry('a0')], next_before: null });
    await settle();
    expect(el.textContent).toContain('Page 2');
    expect(buttons(el, 'Older')[0].disabled).toBe(true);
    buttons(el, 'Newer')[0].click();
    await settle();
    http.expectOne((r) => r.url === '/api/v1/audit' && !r.params.has('before')).flush({ data: [entry('a1')], next_before: 'a1' });
    await settle();
    expect(el.textContent).toContain('Page 1');
  });

  it('reads maintenance window matchers as typed, and names a line that is not one', () => {
    expect(parseMatchers('service="check\\"out"\nteam=~"db.*", env!=prod')).toEqual([
      { name: 'service', op: '=', value: 'check"out' }, { name: 'team', op: '=~', value: 'db.*' }, { name: 'env', op: '!=', value: 'prod' },
    ]);
    expect(() => parseMatchers('just words')).toThrow('Not a matcher: just words');
  });

  it('reads team members and runbook steps as typed', () => {
    expect(parseMembers(' u1, u2  u1,,u3 ')).toEqual(['u1', 'u2', 'u3']);
    expect(parseSteps('[{"id": "a", "kind": "wait", "params": {"duration_ms": 1}}]')).toHaveLength(1);
    expect(() => parseSteps('{"id": "a"}')).toThrow('must be a JSON array');
    expect(() => parseSteps('[')).toThrow('not JSON');
  });
});
