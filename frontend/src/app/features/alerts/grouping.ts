import { Alert } from '../../core/model/alerts';
import { LabelMatcher, parseSelector, selects } from '../../core/query/selector';

export interface AlertGroup {
  key: string;
  labels: Record<string, string>;
  alerts: Alert[];
  firing: number;
}

/** Matchers typed as `severity="critical", host=~"web.*"` (braces optional); null if unreadable. */
export function parseMatchers(text: string): LabelMatcher[] | null {
  const t = text.trim();
  if (!t) return [];
  const parsed = parseSelector(t.startsWith('{') ? t : `{${t}}`);
  return parsed && parsed.metric === null ? parsed.matchers : null;
}

export function matchesAll(alert: Alert, matchers: readonly LabelMatcher[]): boolean {
  return selects({ metric: null, matchers: [...matchers] }, alert.labels['__name__'] ?? '', alert.labels);
}

/** Alerts grouped by the values of `by` (as Alertmanager's group_by), firing groups first. */
export function groupAlerts(alerts: readonly Alert[], by: readonly string[]): AlertGroup[] {
  const groups = new Map<string, AlertGroup>();
  for (const a of alerts) {
    const labels = Object.fromEntries(by.map((k) => [k, a.labels[k] ?? '']));
    const key = JSON.stringify(labels);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, labels, alerts: [], firing: 0 }));
    g.alerts.push(a);
    if (a.state === 'firing') g.firing++;
  }
  return [...groups.values()].sort((x, y) => y.firing - x.firing || y.alerts.length - x.alerts.length || x.key.localeCompare(y.key));
}
