import { HttpTestingController } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { appTestProviders, settle } from '../../../testing/setup';
import { LiveQuery, liveEnd } from './live-query';

const NOW = 1_000_002_500; // 2.5 s past a 5 s step

@Component({ selector: 'oe-probe', template: '' })
class Probe {
  readonly query = new LiveQuery(
    () => ({ query: { expr: 'cpu' }, range: { from: 'now-1m', to: 'now', tz: 'UTC' }, stepMs: 5_000 }),
    () => NOW,
  );
}

describe('LiveQuery', () => {
  it('ends a live range at the next step, so the newest sample is inside the last step', async () => {
    expect(liveEnd(NOW, 5_000)).toBe(1_000_005_000);
    expect(liveEnd(1_000_005_000, 5_000)).toBe(1_000_005_000);
    TestBed.configureTestingModule({ providers: appTestProviders() });
    const http = TestBed.inject(HttpTestingController);
    TestBed.createComponent(Probe);
    await settle();
    const req = http.expectOne((r) => r.url === '/prometheus/api/v1/query_range');
    expect(req.request.params.get('end')).toBe('1000005.000');
    expect(req.request.params.get('start')).toBe('999940.000');
  });
});
