import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { appTestProviders, makeMe, problemBody, settle, signIn } from '../../../testing/setup';
import { DryRun } from '../../core/model/alerts';
import { firingIntervals, stripSegments } from './dry-run';
import { RulesPage } from './rules-page';

const H = 3_600_000;
const START = Date.UTC(2026, 11, 4, 12);

function transition(atH: number, from: string, to: string, host: string) {
  return { at_ms: START + atH * H, from, to, labels: { alertname: 'HighCPU', host }, fingerprint: `fp-${host}`, value: 97.5 };
}

function run(change: Partial<DryRun> = {}): DryRun {
  return {
    start_ms: START, end_ms: START + 24 * H, would_have_fired: true,
    summary: { series: 2, samples: 1440, transitions: 5, fired: 2, alerts_fired: 2, firing_at_end: 1,
      first_fired_at_ms: START + 2 * H, firing_ms: 4 * H },
    transitions: [
      transition(1, 'inactive', 'pending', 'a'), transition(2, 'pending', 'firing', 'a'), transition(4, 'firing', 'resolved', 'a'),
      transition(21, 'inactive', 'pending', 'b'), transition(22, 'pending', 'firing', 'b'),
    ],
    truncated: false, elapsed_ms: 12.5, ...change,
  } as DryRun;
}

function button(el: HTMLElement, text: string): HTMLButtonElement {
  return [...el.querySelectorAll('button')].find((b) => b.textContent!.trim() === text)!;
}

function type(el: HTMLElement, name: string, value: string): void {
  const input = el.querySelector<HTMLInputElement>(`[name=${name}]`)!;
  input.value = value;
  input.dispatchEvent(new Event('input'));
}

describe('rule dry run', () => {
  it('finds the firing intervals per alert, an open one ending at the range end', () => {
    const intervals = firingIntervals(run());
    expect(intervals.map((i) => [i.fingerprint, (i.startMs - START) / H, (i.endMs - START) / H, i.open]))
      .toEqual([['fp-a', 2, 4, false], ['fp-b', 22, 24, true]]);
    const strip = stripSegments(run(), intervals);
    expect(strip.map((s) => [Math.round(s.left * 100) / 100, Math.round(s.width * 100) / 100])).toEqual([[8.33, 8.33], [91.67, 8.33]]);
    expect(firingIntervals(run({ transitions: [], would_have_fired: false }))).toEqual([]);
  });

  describe('on the rules page', () => {
    let http: HttpTestingController;
    beforeEach(async () => {
      TestBed.configureTestingModule({ providers: appTestProviders() });
      http = TestBed.inject(HttpTestingController);
      await signIn(makeMe('admin', { timezone: 'UTC' }));
    });

    async function openEditor(): Promise<HTMLElement> {
      const fixture = TestBed.createComponent(RulesPage);
      const el = fixture.nativeElement as HTMLElement;
      await settle();
      http.expectOne((r) => r.url === '/api/v1/rules').flush({ data: [] });
      await settle();
      button(el, 'New rule').click();
      await settle();
      type(el, 'name', 'HighCPU');
      type(el, 'selector', 'cpu_usage');
      type(el, 'threshold', '90');
      await settle();
      return el;
    }

    it('sends the editor\'s rule over the last 24 h and shows when it would have fired', async () => {
      const el = await openEditor();
      button(el, 'Dry run (last 24 h)').click();
      await settle();
      const req = http.expectOne((r) => r.method === 'POST' && r.url === '/api/v1/rules/dry-run');
      expect(req.request.body).toMatchObject({ type: 'threshold', name: 'HighCPU', selector: 'cpu_usage', threshold: 90, range: '24h' });
      req.flush({ data: run() });
      await settle();
      const result = el.querySelector('[data-testid=dry-run-result]')!;
      expect(result.querySelector('[role=status]')!.textContent).toContain('Would have fired');
      expect(result.querySelectorAll('.strip .seg').length).toBe(2);
      const items = [...result.querySelectorAll('.intervals li')].map((li) => li.textContent!.replace(/\s+/g, ' '));
      expect(items.length).toBe(2);
      expect(items[0]).toContain('host="a"');
      expect(items[0]).toContain('2h 0m');
      expect(items[1]).toContain('still firing');
      expect(result.querySelectorAll('tbody tr').length).toBe(5);

      type(el, 'threshold', '99');  // the result was for the rule as it was sent
      await settle();
      expect(el.querySelector('[data-testid=dry-run-result]')).toBeNull();
    });

    it('says so when it would not have fired', async () => {
      const el = await openEditor();
      button(el, 'Dry run (last 24 h)').click();
      await settle();
      http.expectOne('/api/v1/rules/dry-run').flush({ data: run({
        would_have_fired: false, transitions: [],
        summary: { series: 1, samples: 10, transitions: 0, fired: 0, alerts_fired: 0, firing_at_end: 0, first_fired_at_ms: null, firing_ms: 0 },
      }) });
      await settle();
      const result = el.querySelector('[data-testid=dry-run-result]')!;
      expect(result.textContent).toContain('Would not have fired');
      expect(result.querySelectorAll('.strip .seg').length).toBe(0);
    });

    it('shows the API\'s problem when a limit is exceeded', async () => {
      const el = await openEditor();
      button(el, 'Dry run (last 24 h)').click();
      await settle();
      http.expectOne('/api/v1/rules/dry-run').flush(
        problemBody(413, 'the selector matches 5000 series; a dry run reads at most 1000', { limit: 'max_series=1000' }),
        { status: 413, statusText: 'Payload Too Large' });
      await settle();
      const alert = el.querySelector('[role=alert]')!;
      expect(alert.textContent).toContain('at most 1000');
      expect(alert.textContent).toContain('max_series=1000');
      expect(el.querySelector('[data-testid=dry-run-result]')).toBeNull();
    });
  });
});
