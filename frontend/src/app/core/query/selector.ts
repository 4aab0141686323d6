/**
 * Series selectors (`name{label="value", other=~"re.*"}`), read on the client to tell
 * which live samples belong to a chart and what the editor is completing. The server
 * parses them for real; this reader is lenient and answers null when unsure.
 */

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
}

export interface ParsedSelector {
  metric: string | null;
  matchers: LabelMatcher[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;

export function parseSelector(text: string): ParsedSelector | null {
  let rest = text.trim();
  let metric: string | null = null;
  const name = NAME.exec(rest);
  if (name) {
    metric = name[0];
    rest = rest.slice(name[0].length).trim();
  }
  const matchers: LabelMatcher[] = [];
  if (rest.startsWith('{')) {
    rest = rest.slice(1).trim();
    while (!rest.startsWith('}')) {
      const label = LABEL.exec(rest);
      if (!label) return null;
      rest = rest.slice(label[0].length).trim();
      const op = (['=~', '!~', '!=', '='] as const).find((o) => rest.startsWith(o));
      if (!op) return null;
      rest = rest.slice(op.length).trim();
      const value = readQuoted(rest);
      if (!value) return null;
      matchers.push({ name: label[0], op, value: value.value });
      rest = rest.slice(value.length).trim();
      if (rest.startsWith(',')) rest = rest.slice(1).trim();
      else if (!rest.startsWith('}')) return null;
    }
    rest = rest.slice(1).trim();
  }
  if (rest !== '' || (metric === null && matchers.length === 0)) return null;
  return { metric, matchers };
}

function readQuoted(text: string): { value: string; length: number } | null {
  const quote = text[0];
  if (quote !== '"' && quote !== "'" && quote !== '`') return null;
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && quote !== '`' && i + 1 < text.length) {
      const next = text[++i];
      value += next === 'n' ? '\n' : next === 't' ? '\t' : next;
    } else if (c === quote) {
      return { value, length: i + 1 };
    } else {
      value += c;
    }
  }
  return null;
}

function fullMatch(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return false;
  }
}

/** Whether a series (its name and labels) is selected. */
export function selects(selector: ParsedSelector, name: string, labels: Record<string, string>): boolean {
  if (selector.metric !== null && selector.metric !== name) return false;
  return selector.matchers.every((m) => {
    const value = m.name === '__name__' ? name : (labels[m.name] ?? '');
    switch (m.op) {
      case '=':
        return value === m.value;
      case '!=':
        return value !== m.value;
      case '=~':
        return fullMatch(m.value, value);
      case '!~':
        return !fullMatch(m.value, value);
    }
  });
}

export function quoteLabelValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

export function formatSelector(selector: ParsedSelector): string {
  const inner = selector.matchers.map((m) => `${m.name}${m.op}${quoteLabelValue(m.value)}`).join(', ');
  return `${selector.metric ?? ''}${inner || selector.metric === null ? `{${inner}}` : ''}`;
}
