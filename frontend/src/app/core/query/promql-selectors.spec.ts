import { selectorsIn } from './promql-selectors';
import { parseSelector } from './selector';

describe('selectorsIn', () => {
  it('finds the selectors of functions, aggregations and binary operations', () => {
    expect(selectorsIn('sum by (host, job) (rate(http_requests_total{job="api", code=~"5.."}[5m]))'))
      .toEqual(['http_requests_total{job="api", code=~"5.."}']);
    expect(selectorsIn('a / on(host) group_left(team) b{x="1"} > bool 0.5 unless c offset 5m'))
      .toEqual(['a', 'b{x="1"}', 'c']);
    expect(selectorsIn('{__name__=~"node_.+"} and up')).toEqual(['{__name__=~"node_.+"}', 'up']);
  });

  it('skips strings, comments, durations, numbers and subqueries', () => {
    expect(selectorsIn('label_replace(up{job="a}b"}, "dst", "$1", "src", "(.*)")')).toEqual(['up{job="a}b"}']);
    expect(selectorsIn('max_over_time(rate(x[1m])[30m:1m]) # comment with y{z="1"}\n * 1e3 + 0x1f')).toEqual(['x']);
    expect(selectorsIn('histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))')).toEqual(['h_bucket']);
  });

  it('answers selectors the client-side reader accepts, without duplicates', () => {
    const found = selectorsIn('cpu{host="a"} - cpu{host="a"} + cpu {host = "b"}');
    expect(found).toEqual(['cpu{host="a"}', 'cpu{host = "b"}']);
    for (const s of found) expect(parseSelector(s)).not.toBeNull();
  });

  it('gives up quietly on an unterminated expression', () => {
    expect(selectorsIn('rate(up{job="a"')).toEqual([]);
    expect(selectorsIn('')).toEqual([]);
  });
});
