import { DryRun } from '../../core/model/alerts';

/** One alert's stretch of firing within the dry run's range. */
export interface FiringInterval {
  fingerprint: string;
  labels: Record<string, string>;
  startMs: number;
  endMs: number;
  /** Still firing at the range's end. */
  open: boolean;
}

/** A segment of the timeline strip, as percentages of the range's width. */
export interface StripSegment {
  left: number;
  width: number;
  interval: FiringInterval;
}

/**
 * The firing intervals of a dry run, per alert, in time order: from each transition to
 * firing until that alert's next transition away from it, or the range's end. Only
 * the listed transitions are known, so a truncated run shows the intervals they bound.
 */
export function firingIntervals(run: DryRun): FiringInterval[] {
  const since = new Map<string, { at: number; labels: Record<string, string> }>();
  const out: FiringInterval[] = [];
  const sorted = [...run.transitions].sort((a, b) => a.at_ms - b.at_ms);
  for (const t of sorted) {
    const open = since.get(t.fingerprint);
    if (t.to === 'firing') {
      if (!open) since.set(t.fingerprint, { at: t.at_ms, labels: t.labels });
    } else if (open) {
      out.push({ fingerprint: t.fingerprint, labels: open.labels, startMs: open.at, endMs: t.at_ms, open: false });
      since.delete(t.fingerprint);
    }
  }
  for (const [fingerprint, open] of since) {
    out.push({ fingerprint, labels: open.labels, startMs: open.at, endMs: run.end_ms, open: true });
  }
  return out.sort((a, b) => a.startMs - b.startMs || a.fingerprint.localeCompare(b.fingerprint));
}

/** The intervals placed on a strip spanning the run's range; a short one stays visible. */
export function stripSegments(run: DryRun, intervals: readonly FiringInterval[], minWidth = 0.5): StripSegment[] {
  const span = Math.max(1, run.end_ms - run.start_ms);
  const pct = (ms: number) => Math.min(100, Math.max(0, ((ms - run.start_ms) / span) * 100));
  return intervals.map((interval) => {
    const left = Math.min(pct(interval.startMs), 100 - minWidth);
    return { left, width: Math.max(minWidth, pct(interval.endMs) - left), interval };
  });
}

/** `{a="b", c="d"}` for an alert's labels. */
export function labelText(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return `{${pairs.join(', ')}}`;
}
