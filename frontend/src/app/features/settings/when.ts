import { effectiveZone, formatTime } from '../../core/time/time-range';

/** An epoch-ms time in the browser's zone, or a dash. */
export function when(ms: number | null | undefined): string {
  return ms ? formatTime(ms, effectiveZone('browser')) : '—';
}
