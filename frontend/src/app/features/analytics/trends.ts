import { Alert } from '../../core/model/alerts';
import { Incident, mean } from '../../core/model/incidents';
import { SeriesData } from '../../core/query/query-backend';

export const DAY_MS = 86_400_000;

/** Mean MTTA and MTTR (minutes) per day the incidents were opened, as two chart series. */
export function dailyResponse(incidents: readonly Incident[], startMs: number, endMs: number): SeriesData[] {
  const first = Math.floor(startMs / DAY_MS) * DAY_MS;
  const days: number[] = [];
  for (let d = first; d <= endMs; d += DAY_MS) days.push(d);
  const byDay = new Map<number, Incident[]>(days.map((d) => [d, []]));
  for (const i of incidents) byDay.get(Math.floor(i.opened_at_ms / DAY_MS) * DAY_MS)?.push(i);
  const minutes = (v: number | null) => (v === null ? null : v / 60_000);
  return [
    { key: 'mtta', labels: { __name__: 'MTTA (min)' }, t: days, v: days.map((d) => minutes(mean(byDay.get(d)!.map((i) => i.mtta_ms)))) },
    { key: 'mttr', labels: { __name__: 'MTTR (min)' }, t: days, v: days.map((d) => minutes(mean(byDay.get(d)!.map((i) => i.mttr_ms)))) },
  ];
}

export interface RuleNoise {
  name: string;
  alerts: number;
  firing: number;
}

/** Alert names by how many alerts (series) they raised, noisiest first. */
export function noisiestRules(alerts: readonly Alert[], top = 10): RuleNoise[] {
  const by = new Map<string, RuleNoise>();
  for (const a of alerts) {
    const name = a.labels['alertname'] ?? a.rule_id;
    const row = by.get(name) ?? { name, alerts: 0, firing: 0 };
    row.alerts++;
    if (a.state === 'firing') row.firing++;
    by.set(name, row);
  }
  return [...by.values()].sort((x, y) => y.alerts - x.alerts || x.name.localeCompare(y.name)).slice(0, top);
}

/** Alerts that fired per incident opened since `sinceMs` (null without incidents). */
export function alertToIncidentRatio(alerts: readonly Alert[], incidents: readonly Incident[], sinceMs: number): number | null {
  const fired = alerts.filter((a) => a.firedAt !== null && Date.parse(a.firedAt) >= sinceMs).length;
  const opened = incidents.filter((i) => i.opened_at_ms >= sinceMs).length;
  return opened ? fired / opened : null;
}
