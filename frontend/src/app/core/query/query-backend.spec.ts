import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { appTestProviders } from '../../../testing/setup';
import { QUERY_BACKEND, SeriesData, fromMatrix, mergeTail, seriesKey } from './query-backend';
import { formatSelector, parseSelector, selects } from './selector';

function series(key: string, t: number[], v: number[]): SeriesData {
  return { key, labels: { host: key }, t, v };
}

describe('mergeTail', () => {
  it('replaces the refetched tail without duplicates and slides the window', () => {
    const current = [series('a', [0, 10, 20, 30], [1, 2, 3, 4])];
    const fresh = [series('a', [20, 30, 40], [30, 40, 50]), series('b', [40], [9])];
    const merged = mergeTail(current, fresh, 20, 10);
    expect(merged).toEqual([series('a', [10, 20, 30, 40], [2, 30, 40, 50]), series('b', [40], [9])]);
  });

  it('drops a series with no point left', () => {
    expect(mergeTail([series('a', [0], [1])], [], 20, 10)).toEqual([]);
  });
});

describe('fromMatrix', () => {
  it('reads Prometheus matrices, seconds to ms and non-finite values', () => {
    const out = fromMatrix({ data: { resultType: 'matrix', result: [{ metric: { __name__: 'up', job: 'x' }, values: [[1.5, 1], [3, 'NaN'], [4, '+Inf']] }] } });
    expect(out[0].t).toEqual([1500, 3000, 4000]);
    expect(out[0].v[0]).toBe(1);
    expect(out[0].v[1]).toBeNaN();
    expect(out[0].v[2]).toBe(Infinity);
    expect(out[0].key).toBe(seriesKey({ job: 'x', __name__: 'up' }));
  });

  it('reads values sent as strings, as Prometheus HTTP answers send every value', () => {
    const out = fromMatrix({ data: { resultType: 'matrix', result: [{ metric: {}, values: [[1, '0.9975'], [2, '-3e2'], [3, '-Inf']] }] } });
    expect(out[0].v).toEqual([0.9975, -300, -Infinity]);
  });
});

describe('SelectorQueryBackend', () => {
  it('asks /api/v1/query_range with the selector and fn/by/agg', async () => {
    TestBed.configureTestingModule({ providers: appTestProviders() });
    const backend = TestBed.inject(QUERY_BACKEND);
    const http = TestBed.inject(HttpTestingController);
    const answer = backend.rangeQuery({ expr: 'cpu{host="a"}', fn: 'avg', by: 'host', agg: 'max' }, { startMs: 1_000, endMs: 61_000 }, 15_000);
    const req = http.expectOne((r) => r.url === '/api/v1/query_range');
    expect(Object.fromEntries(req.request.params.keys().map((k) => [k, req.request.params.get(k)]))).toEqual({
      query: 'cpu{host="a"}', start: '1.000', end: '61.000', step: '15s', fn: 'avg', by: 'host', agg: 'max',
    });
    req.flush({ status: 'success', data: { resultType: 'matrix', result: [] } });
    expect(await answer).toEqual([]);
    expect(backend.liveSelectors({ expr: ' cpu ' })).toEqual(['cpu']);
  });
});

describe('selectors', () => {
  it('parses names, all four matchers and escapes', () => {
    const s = parseSelector('cpu{host="a", mode!="idle", dc=~"eu-.*", x!~\'y\\\'z\'}');
    expect(s).toEqual({
      metric: 'cpu',
      matchers: [
        { name: 'host', op: '=', value: 'a' }, { name: 'mode', op: '!=', value: 'idle' },
        { name: 'dc', op: '=~', value: 'eu-.*' }, { name: 'x', op: '!~', value: "y'z" },
      ],
    });
    expect(formatSelector(s!)).toBe('cpu{host="a", mode!="idle", dc=~"eu-.*", x!~"y\'z"}');
    expect(parseSelector('cpu{host=}')).toBeNull();
    expect(parseSelector('')).toBeNull();
  });

  it('tells which series a selector selects (regexes anchored, missing labels empty)', () => {
    const s = parseSelector('cpu{dc=~"eu-.*", env!="prod"}')!;
    expect(selects(s, 'cpu', { dc: 'eu-west' })).toBe(true);
    expect(selects(s, 'cpu', { dc: 'us-eu-1' })).toBe(false);
    expect(selects(s, 'cpu', { dc: 'eu-1', env: 'prod' })).toBe(false);
    expect(selects(s, 'mem', { dc: 'eu-1' })).toBe(false);
    expect(selects(parseSelector('{__name__=~"cpu|mem"}')!, 'mem', {})).toBe(true);
  });
});
