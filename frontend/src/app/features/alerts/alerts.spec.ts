import { Alert } from '../../core/model/alerts';
import { groupAlerts, matchesAll, parseMatchers } from './grouping';
import { EMPTY_RULE, ruleBody } from './rule-form';
import { silenceBody } from './silence-form';

function alert(fingerprint: string, labels: Record<string, string>, state: Alert['state'] = 'firing'): Alert {
  return { fingerprint, rule_id: 'r', labels, annotations: {}, state, activeAt: null, firedAt: null, resolvedAt: null, value: '1' };
}

describe('alert grouping and matchers', () => {
  const alerts = [
    alert('1', { alertname: 'CPU', host: 'web-1', severity: 'critical' }),
    alert('2', { alertname: 'CPU', host: 'web-2', severity: 'warning' }, 'pending'),
    alert('3', { alertname: 'Disk', host: 'db-1', severity: 'critical' }),
  ];

  it('groups by labels, firing groups first', () => {
    const groups = groupAlerts(alerts, ['severity']);
    expect(groups.map((g) => [g.labels['severity'], g.alerts.length, g.firing])).toEqual([['critical', 2, 2], ['warning', 1, 0]]);
  });

  it('filters with matchers written with or without braces', () => {
    const m = parseMatchers('host=~"web-.*", severity!="warning"')!;
    expect(alerts.filter((a) => matchesAll(a, m)).map((a) => a.fingerprint)).toEqual(['1']);
    expect(parseMatchers('{alertname="Disk"}')).toEqual([{ name: 'alertname', op: '=', value: 'Disk' }]);
    expect(parseMatchers('host=')).toBeNull();
    expect(parseMatchers('  ')).toEqual([]);
  });
});

describe('rule editor body', () => {
  it('sends the fields of the rule kind, omitting an empty threshold so the API names it', () => {
    const body = ruleBody({ ...EMPTY_RULE, name: ' HighCPU ', selector: 'cpu', threshold: '', labels: 'severity=critical, team = sre' });
    expect(body).toMatchObject({ type: 'threshold', name: 'HighCPU', op: '>', labels: { severity: 'critical', team: 'sre' } });
    expect('threshold' in body && body.threshold === undefined).toBe(true);
    expect(JSON.parse(JSON.stringify(body)).threshold).toBeUndefined();
    const absence = ruleBody({ ...EMPTY_RULE, type: 'absence', name: 'Gone', selector: 'up' });
    expect(absence).toEqual({ type: 'absence', name: 'Gone', selector: 'up', for: '1m', keep_firing_for: '0s', labels: { severity: 'warning' }, annotations: {}, absent_for: '5m' });
  });
});

describe('silence body', () => {
  it('reads the window in the chosen zone and carries a weekly recurrence', () => {
    const body = silenceBody({
      matchers: [{ name: 'host', value: 'a', isRegex: false, isEqual: true }, { name: ' ', value: '', isRegex: false, isEqual: true }],
      starts: '2025-06-01T02:00', ends: '2025-12-01T02:00', zone: 'Europe/Berlin', createdBy: 'ann', comment: 'patching',
      recurring: true, weekdays: [6, 2], startTime: '02:00', duration: '2h',
    });
    expect(body.matchers.length).toBe(1);
    expect(body.startsAt).toBe('2025-06-01T00:00:00.000Z');
    expect(body.endsAt).toBe('2025-12-01T01:00:00.000Z');
    expect(body.recurrence).toEqual({ timezone: 'Europe/Berlin', weekdays: [2, 6], start_time: '02:00', duration: '2h' });
  });
});
