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

describe('PromqlQueryBackend', () => {
  function backend() {
    TestBed.configureTestingModule({ providers: appTestProviders() });
    return { backend: TestBed.inject(QUERY_BACKEND), http: TestBed.inject(HttpTestingController) };
  }
  const params = (req: { request: { params: { keys(): string[]; getAll(k: string): string[] | null } } }) =>
    Object.fromEntries(req.request.params.keys().map((k) => [k, req.request.params.getAll(k)]));

  it('asks the Prometheus API for a range query with the expression', async () => {
    const { backend: b, http } = backend();
    expect(b.language).toBe('promql');
    const answer = b.rangeQuery({ expr: 'rate(x{a="1"}[5m])', fn: 'avg' }, { startMs: 1_000, endMs: 61_000 }, 15_000);
    const req = http.expectOne((r) => r.url === '/prometheus/api/v1/query_range');
    expect(params(req)).toEqual({ query: ['rate(x{a="1"}[5m])'], start: ['1.000'], end: ['61.000'], step: ['15'] });
    req.flush({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { a: '1' }, values: [[2, '0.5']] }] } });
    expect((await answer)[0].v).toEqual([0.5]);
    expect(b.liveSelectors({ expr: 'sum by (a) (rate(x{a="1"}[5m])) / y' })).toEqual(['x{a="1"}', 'y']);
  });

  it('completes metric names (with functions), a metric\'s labels and a label\'s values', async () => {
    const { backend: b, http } = backend();
    const names = b.suggest({ kind: 'metric' });
    http.expectOne('/prometheus/api/v1/label/__name__/values').flush({ status: 'success', data: ['up', 'cpu'] });
    expect(await names).toEqual(expect.arrayContaining(['up', 'cpu', 'rate', 'histogram_quantile']));

    const labels = b.suggest({ kind: 'label', metric: 'cpu' });
    const lreq = http.expectOne((r) => r.url === '/prometheus/api/v1/labels');
    expect(params(lreq)).toEqual({ 'match[]': ['cpu'] });
    lreq.flush({ status: 'success', data: ['__name__', 'host'] });
    expect(await labels).toEqual(['host']);

    const values = b.suggest({ kind: 'value', metric: null, label: 'host' });
    const vreq = http.expectOne((r) => r.url === '/prometheus/api/v1/label/host/values');
    expect(params(vreq)).toEqual({});
    vreq.flush({ status: 'success', data: ['web-1'] });
    expect(await values).toEqual(['web-1']);
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
