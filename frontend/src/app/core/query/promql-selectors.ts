/**
 * The vector selectors inside a PromQL expression (`rate(http_requests_total{job="api"}[5m])`
 * → `http_requests_total{job="api"}`), so a live chart knows which streamed samples change
 * its answer. A lenient scan, not a parser (the server parses for real): strings and
 * comments are skipped, function calls, keywords, grouping label lists (`by (...)`), range
 * and subquery brackets and numbers are not selectors. Unsure: fewer selectors, never a
 * wrong one (an empty list means the chart refreshes on resyncs only).
 */

const KEYWORDS = new Set([
  'and', 'or', 'unless', 'bool', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset',
  'inf', 'nan', 'start', 'end',
  // aggregation operators: `sum by (x) (...)` has no parenthesis right after the name
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile',
  'limitk', 'limit_ratio',
]);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const IDENT = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;

/** The selectors, as `name{matchers}` / `{matchers}` text, in order, without duplicates. */
export function selectorsIn(expr: string): string[] {
  const out: string[] = [];
  let i = 0;
  let lastWord = '';
  while (i < expr.length) {
    const c = expr[i];
    if (c === '"' || c === "'" || c === '`') {
      i = skipString(expr, i);
      lastWord = '';
    } else if (c === '#') {
      const nl = expr.indexOf('\n', i);
      i = nl < 0 ? expr.length : nl + 1;
    } else if (c === '[') {
      const close = expr.indexOf(']', i);
      i = close < 0 ? expr.length : close + 1; // a range or subquery: durations, no selector
      lastWord = '';
    } else if (c === '(' && GROUPING.has(lastWord)) {
      const close = expr.indexOf(')', i);
      i = close < 0 ? expr.length : close + 1; // by (host, job): label names
      lastWord = '';
    } else if (c === '{') {
      const end = matcherEnd(expr, i);
      if (end < 0) return out;
      add(out, expr.slice(i, end));
      i = end;
      lastWord = '';
    } else if (/[a-zA-Z_:]/.test(c) && !/[0-9.]/.test(expr[i - 1] ?? '')) {
      IDENT.lastIndex = i;
      const word = IDENT.exec(expr)![0];
      let j = i + word.length;
      while (j < expr.length && /\s/.test(expr[j])) j++;
      const next = expr[j];
      if (next === '(' || KEYWORDS.has(word.toLowerCase())) {
        lastWord = word.toLowerCase();
        i += word.length;
      } else if (next === '{') {
        const end = matcherEnd(expr, j);
        if (end < 0) return out;
        add(out, word + expr.slice(j, end));
        i = end;
        lastWord = '';
      } else {
        add(out, word);
        i += word.length;
        lastWord = '';
      }
    } else {
      if (!/\s/.test(c)) lastWord = '';
      i++;
    }
  }
  return out;
}

function add(out: string[], selector: string): void {
  const text = selector.replace(/\s+/g, ' ').trim();
  if (!out.includes(text)) out.push(text);
}

function skipString(expr: string, start: number): number {
  const quote = expr[start];
  let i = start + 1;
  while (i < expr.length && expr[i] !== quote) i += expr[i] === '\\' && quote !== '`' ? 2 : 1;
  return i + 1;
}

/** The index after the `}` closing the matchers opened at `start`, or -1. */
function matcherEnd(expr: string, start: number): number {
  let i = start + 1;
  while (i < expr.length) {
    const c = expr[i];
    if (c === '"' || c === "'" || c === '`') i = skipString(expr, i);
    else if (c === '}') return i + 1;
    else i++;
  }
  return -1;
}
