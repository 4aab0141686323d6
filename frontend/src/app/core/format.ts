/** Small formatting helpers shared by the pages. */

export function formatDurationMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function formatAgo(epochMs: number | null | undefined, nowMs: number): string {
  if (!epochMs) return '—';
  const d = Math.max(0, nowMs - epochMs);
  return d < 5_000 ? 'just now' : `${formatDurationMs(d)} ago`;
}

const SI = ['', 'k', 'M', 'G', 'T', 'P'];

/** A value for a tick or a table cell: 3 significant digits, SI prefixes above 10k. */
export function formatValue(v: number | null | undefined, unit = ''): string {
  if (v === null || v === undefined) return '—';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (unit === 'ratio') return `${(v * 100).toFixed(Math.abs(v) < 0.1 ? 1 : 0)}%`;
  let x = Math.abs(v);
  let i = 0;
  const base = unit === 'bytes' ? 1024 : 1000;
  if (x >= 10_000 || unit === 'bytes') {
    while (x >= base && i < SI.length - 1) {
      x /= base;
      i++;
    }
  }
  const digits = x >= 100 ? 0 : x >= 10 ? 1 : 2;
  const text = `${v < 0 ? '-' : ''}${x.toFixed(digits)}${unit === 'bytes' ? ` ${SI[i]}B` : SI[i]}`;
  return text;
}

/** `name{a="b", c="d"}` for a label set (the `__name__` label as the name). */
export function seriesLabel(labels: Record<string, string>): string {
  const { __name__: name = '', ...rest } = labels;
  const inner = Object.keys(rest)
    .sort()
    .map((k) => `${k}="${rest[k]}"`)
    .join(', ');
  return inner ? `${name}{${inner}}` : name || '{}';
}
