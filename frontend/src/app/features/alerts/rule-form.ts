import { RuleIn, RuleType } from '../../core/model/alerts';

/** The rule editor's fields, as text. */
export interface RuleDraft {
  type: RuleType;
  name: string;
  selector: string;
  for: string;
  keepFiringFor: string;
  aggregation: string;
  window: string;
  op: string;
  threshold: string;
  absentFor: string;
  detector: string;
  level: string;
  labels: string;
  annotations: string;
}

export const EMPTY_RULE: RuleDraft = {
  type: 'threshold', name: '', selector: '', for: '1m', keepFiringFor: '0s', aggregation: 'avg', window: '1m', op: '>',
  threshold: '', absentFor: '5m', detector: 'seasonal', level: '0.9', labels: 'severity=warning', annotations: '',
};

/** `a=b` lines (or comma-separated) as a map; the API validates names and values. */
export function parsePairs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(/[\n,]/)) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

/** The API's body for a draft: only the fields of the rule's type. Numbers the user
 * left empty are omitted, so the API names the missing field. */
export function ruleBody(d: RuleDraft): RuleIn {
  const num = (s: string) => (s.trim() === '' ? undefined : Number(s));
  const base: RuleIn = {
    type: d.type, name: d.name.trim(), selector: d.selector.trim(), for: d.for.trim(), keep_firing_for: d.keepFiringFor.trim(),
    labels: parsePairs(d.labels), annotations: parsePairs(d.annotations),
  };
  if (d.type === 'threshold') {
    return { ...base, aggregation: d.aggregation, window: d.window.trim(), op: d.op, threshold: num(d.threshold) };
  }
  if (d.type === 'absence') return { ...base, absent_for: d.absentFor.trim() };
  return { ...base, detector: d.detector.trim(), level: num(d.level) };
}
