import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { appTestProviders, makeMe, settle, signIn } from '../../../testing/setup';
import { DashboardPage } from './dashboard-page';
import { DEFAULT_LAYOUT } from './layout';

describe('DashboardPage', () => {
  beforeEach(() => localStorage.clear());

  async function render() {
    TestBed.configureTestingModule({ providers: appTestProviders() });
    await signIn(makeMe('viewer', { id: 'u-42' }));
    const fixture = TestBed.createComponent(DashboardPage);
    await settle();
    return fixture;
  }

  const titles = (el: HTMLElement) => [...el.querySelectorAll('section.tile h2')].map((h) => h.textContent!.trim());

  it('shows the default tiles, then the user’s arrangement, saved per user', async () => {
    const fixture = await render();
    const el = fixture.nativeElement as HTMLElement;
    expect(titles(el).length).toBe(DEFAULT_LAYOUT.length);
    expect(el.querySelector('.controls')).toBeNull();

    (el.querySelector('button[aria-pressed]') as HTMLButtonElement).click();
    await settle();
    const first = el.querySelector('section.tile')!;
    (first.querySelector('button[aria-label="Remove tile"]') as HTMLButtonElement).click();
    await settle();
    expect(titles(el).length).toBe(DEFAULT_LAYOUT.length - 1);
    const saved = JSON.parse(localStorage.getItem('oe.prefs.default.u-42.dashboard.layout')!);
    expect(saved.map((t: { id: string }) => t.id)).not.toContain('incidents');
    (el.querySelector('section.tile button[aria-label="Wider"]') as HTMLButtonElement).click();
    await settle();
    expect(JSON.parse(localStorage.getItem('oe.prefs.default.u-42.dashboard.layout')!)[0].w).toBe(2);
    TestBed.inject(HttpTestingController).match(() => true).filter((r) => !r.cancelled).forEach((r) => r.flush({ data: [] }));
  });
});
