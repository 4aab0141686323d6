import { applyCompletion, candidates, completionContext, suggestionKey } from './completion';
import { DEFAULT_PANEL, stateFromParams, stateToParams } from './url-state';


describe('query completion', () => {
  it('completes metric names, then label names, then values of that metric', () => {
    const metric = completionContext('system_me', 9);
    expect(suggestionKey(metric)).toEqual({ kind: 'metric' });
    expect(candidates(metric, ['system_cpu_utilization_ratio', 'system_memory_utilization_ratio', 'rate']))
      .toEqual(['system_memory_utilization_ratio']);

    const label = completionContext('system_cpu_utilization_ratio{cpu="0", ho', 41);
    expect(label).toMatchObject({ kind: 'label', metric: 'system_cpu_utilization_ratio', prefix: 'ho' });
    expect(suggestionKey(label)).toEqual({ kind: 'label', metric: 'system_cpu_utilization_ratio' });
    expect(candidates(label, ['cpu', 'host', 'job'])).toEqual(['host']);

    const text = 'system_cpu_utilization_ratio{host="w';
    const value = completionContext(text, text.length);
    expect(value).toMatchObject({ kind: 'value', label: 'host', prefix: 'w' });
    expect(suggestionKey(value)).toEqual({ kind: 'value', metric: 'system_cpu_utilization_ratio', label: 'host' });
    expect(candidates(value, ['db-1', 'web-1', 'web-1'])).toEqual(['web-1']);
    expect(applyCompletion(text, text.length, value, 'web-1')).toEqual({ text: `${text.slice(0, -1)}web-1"`, caret: text.length + 5 });
  });

  it('inserts label names with their = sign', () => {
    const text = 'up{';
    const ctx = completionContext(text, 3);
    expect(applyCompletion(text, 3, ctx, 'job').text).toBe('up{job=');
  });
});

describe('explorer URL state', () => {
  it('round-trips through the query parameters', () => {
    const state = {
      panels: [{ expr: 'cpu{host="a"}', fn: 'avg', by: 'host', agg: 'max' }, { expr: 'mem', fn: 'last', by: null }],
      range: { from: '1000', to: '2000', tz: 'Europe/Berlin' }, mode: 'stacked' as const, view: 'table' as const, step: '30s',
    };
    const back = stateFromParams(stateToParams(state));
    expect(back).toEqual({ ...state, panels: [state.panels[0], { expr: 'mem', fn: 'last', by: null, agg: undefined }] });
  });

  it('falls back to defaults for missing or broken parameters', () => {
    const s = stateFromParams({ q: 'not json', mode: 'pie', step: 'often' });
    expect(s.panels).toEqual([DEFAULT_PANEL]);
    expect(s.mode).toBe('line');
    expect(s.step).toBe('auto');
  });
});
