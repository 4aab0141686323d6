/**
 * Time ranges as the URL keeps them: `from`/`to` are either relative to now
 * (`now`, `now-15m`, `now-7d`) or absolute epoch milliseconds; `tz` is an IANA zone
 * name or `browser`. Resolving a range against a clock gives the milliseconds a query needs.
 */

export interface TimeRange {
  from: string;
  to: string;
  tz: string;
}

export interface ResolvedRange {
  startMs: number;
  endMs: number;
}

export const DEFAULT_RANGE: TimeRange = { from: 'now-1h', to: 'now', tz: 'browser' };

export const PRESETS: readonly { label: string; from: string }[] = [
  { label: 'Last 5 minutes', from: 'now-5m' },
  { label: 'Last 15 minutes', from: 'now-15m' },
  { label: 'Last 1 hour', from: 'now-1h' },
  { label: 'Last 6 hours', from: 'now-6h' },
  { label: 'Last 24 hours', from: 'now-24h' },
  { label: 'Last 7 days', from: 'now-7d' },
];

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const RELATIVE = /^now(?:-(\d+)([smhdw]))?$/;
const DURATION = /^(\d+)(ms|[smhdw])$/;

/** `15s`, `5m`, `1h`, `7d` in milliseconds; null when not a duration. */
export function parseDurationMs(text: string): number | null {
  const m = DURATION.exec(text.trim());
  if (!m) return null;
  return m[2] === 'ms' ? Number(m[1]) : Number(m[1]) * UNIT_MS[m[2]];
}

/** The shortest spelling of a duration (`90000` -> `90s`, `3600000` -> `1h`). */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's']) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

export function isRelative(edge: string): boolean {
  return RELATIVE.test(edge);
}

/** One edge in epoch ms, or null when it is neither relative nor a number. */
export function resolveEdge(edge: string, nowMs: number): number | null {
  const m = RELATIVE.exec(edge);
  if (m) return m[1] ? nowMs - Number(m[1]) * UNIT_MS[m[2]] : nowMs;
  const n = Number(edge);
  return edge !== '' && Number.isFinite(n) ? n : null;
}

export function resolveRange(range: TimeRange, nowMs: number): ResolvedRange {
  const startMs = resolveEdge(range.from, nowMs) ?? nowMs - 3_600_000;
  const endMs = resolveEdge(range.to, nowMs) ?? nowMs;
  return startMs < endMs ? { startMs, endMs } : { startMs: endMs, endMs: startMs };
}

const NICE_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/** A round step giving at most `maxPoints` points over the range. */
export function autoStepMs(range: ResolvedRange, maxPoints = 500): number {
  const wanted = (range.endMs - range.startMs) / 1000 / maxPoints;
  const step = NICE_STEPS_S.find((s) => s >= wanted) ?? Math.ceil(wanted / 86400) * 86400;
  return step * 1000;
}

/** The zone a range's times are shown in. */
export function effectiveZone(tz: string): string {
  return tz === 'browser' || !tz ? Intl.DateTimeFormat().resolvedOptions().timeZone : tz;
}

function zoneOffsetMs(epochMs: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(epochMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/** `2025-03-30T02:30` read as wall-clock time in `zone`, in epoch ms (null if unreadable). */
export function wallTimeToEpoch(wall: string, zone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(wall);
  if (!m) return null;
  const asUtc = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] ?? 0));
  // Two passes settle the offset on either side of a DST change.
  let guess = asUtc - zoneOffsetMs(asUtc, zone);
  guess = asUtc - zoneOffsetMs(guess, zone);
  return guess;
}

/** Epoch ms as `YYYY-MM-DDTHH:MM` wall-clock time in `zone` (for datetime-local inputs). */
export function epochToWallTime(epochMs: number, zone: string): string {
  const shifted = new Date(epochMs + zoneOffsetMs(epochMs, zone));
  return shifted.toISOString().slice(0, 16);
}

export function formatTime(epochMs: number, zone: string, withSeconds = false): string {
  return new Intl.DateTimeFormat(undefined, {
    timeZone: zone, year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit',
    ...(withSeconds ? { second: '2-digit' } : {}),
  }).format(new Date(epochMs));
}

/** A range in the URL's query parameters (absent members take the defaults). */
export function rangeFromParams(params: Record<string, string | undefined>): TimeRange {
  return {
    from: params['from'] || DEFAULT_RANGE.from,
    to: params['to'] || DEFAULT_RANGE.to,
    tz: params['tz'] || DEFAULT_RANGE.tz,
  };
}
