import { SuggestionKey } from '../../core/query/query-backend';

/** What the editor can complete at the caret: a metric name, a label name inside
 * braces, or a label's value after `label=`, `label!=`, `label=~` or `label!~`. */
export type CompletionContext =
  | { kind: 'metric'; prefix: string; start: number }
  | { kind: 'label'; metric: string | null; prefix: string; start: number }
  | { kind: 'value'; metric: string | null; label: string; prefix: string; start: number };

export function completionContext(text: string, caret: number): CompletionContext {
  const before = text.slice(0, caret);
  const open = before.lastIndexOf('{');
  const close = before.lastIndexOf('}');
  if (open > close) {
    const metric = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*$/.exec(before.slice(0, open))?.[1] ?? null;
    const inside = before.slice(open + 1);
    const value = /([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)$/.exec(inside);
    if (value) return { kind: 'value', metric, label: value[1], prefix: value[3], start: caret - value[3].length };
    const label = /(?:^|,)\s*([a-zA-Z_][a-zA-Z0-9_]*)?$/.exec(inside);
    if (label) {
      const prefix = label[1] ?? '';
      return { kind: 'label', metric, prefix, start: caret - prefix.length };
    }
  }
  const word = /([a-zA-Z_:][a-zA-Z0-9_:]*)$/.exec(before);
  const prefix = word?.[1] ?? '';
  return { kind: 'metric', prefix, start: caret - prefix.length };
}

/** What to ask the query backend for in a context (the prefix is filtered here, so
 * typing on within one word asks nothing new). */
export function suggestionKey(context: CompletionContext): SuggestionKey {
  if (context.kind === 'metric') return { kind: 'metric' };
  if (context.kind === 'label') return { kind: 'label', metric: context.metric };
  return { kind: 'value', metric: context.metric, label: context.label };
}

/** The suggestions containing the context's prefix, those starting with it first, then
 * alphabetically, without duplicates, at most `max`. */
export function candidates(context: CompletionContext, suggestions: readonly string[], max = 30): string[] {
  const prefix = context.prefix.toLowerCase();
  const list = [...new Set(suggestions)].filter((c) => c.toLowerCase().includes(prefix));
  list.sort((a, b) => Number(!a.toLowerCase().startsWith(prefix)) - Number(!b.toLowerCase().startsWith(prefix)) || a.localeCompare(b));
  return list.slice(0, max);
}

/** The text with the context's prefix replaced by `choice`, and where the caret goes. */
export function applyCompletion(text: string, caret: number, context: CompletionContext, choice: string): { text: string; caret: number } {
  let insert = choice;
  if (context.kind === 'label') insert = `${choice}=`;
  else if (context.kind === 'value') insert = `${choice.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const out = text.slice(0, context.start) + insert + text.slice(caret);
  return { text: out, caret: context.start + insert.length };
}
