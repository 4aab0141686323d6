import { DestroyRef, effect, inject, signal, untracked } from '@angular/core';
import { Subject, asyncScheduler, throttleTime } from 'rxjs';
import { Problem, toProblem } from '../api/problem';
import { LiveStream } from '../live/live-stream';
import { TimeRange, isRelative, resolveRange } from '../time/time-range';
import { MetricsQuery, QUERY_BACKEND, SeriesData, mergeTail } from './query-backend';
import { parseSelector, selects } from './selector';

/** How often a live chart refetches its tail at most: a sample arriving just after a
 * refetch waits this long (bench/frontend.py: at 1 s the ingest-to-tile p95 was 1.3 s). */
export const TAIL_THROTTLE_MS = 500;

/** The step on the grid at or after `nowMs`. */
export function liveEnd(nowMs: number, stepMs: number): number {
  return Math.ceil(nowMs / stepMs) * stepMs;
}

export interface LiveQueryParams {
  query: MetricsQuery;
  range: TimeRange;
  stepMs: number;
}

/**
 * A range query kept current: fetched whole when its parameters change, and, while the
 * range ends at `now`, its tail refetched (at most every TAIL_THROTTLE_MS) whenever the live
 * stream delivers a sample of a selected series or asks for a resync. The tail is laid
 * over what is shown by timestamp (mergeTail), so updates add no duplicates and a
 * dropped connection leaves no gap. Created in an injection context.
 */
export class LiveQuery {
  private readonly backend = inject(QUERY_BACKEND);
  private readonly live = inject(LiveStream);
  private readonly destroyRef = inject(DestroyRef);

  readonly data = signal<SeriesData[]>([]);
  readonly loading = signal(false);
  readonly problem = signal<Problem | null>(null);
  /** When the shown data was last fetched (ms). */
  readonly updatedAt = signal<number | null>(null);

  private current: LiveQueryParams | null = null;
  private release: (() => void) | null = null;
  private abort: AbortController | null = null;
  private readonly tailWanted = new Subject<void>();

  constructor(params: () => LiveQueryParams | null, private readonly now: () => number = Date.now) {
    const tail = this.tailWanted
      .pipe(throttleTime(TAIL_THROTTLE_MS, asyncScheduler, { leading: true, trailing: true }))
      .subscribe(() => void this.fetchTail());
    const samples = this.live.samples$.subscribe((batch) => {
      const p = this.current;
      if (!p || !this.isLive(p)) return;
      const selectors = this.backend.liveSelectors(p.query).map(parseSelector);
      if (batch.some((s) => selectors.some((sel) => sel !== null && selects(sel, s.name, s.labels)))) {
        this.tailWanted.next();
      }
    });
    const resync = this.live.resync$.subscribe(() => this.current && this.tailWanted.next());
    this.destroyRef.onDestroy(() => {
      tail.unsubscribe();
      samples.unsubscribe();
      resync.unsubscribe();
      this.release?.();
      this.abort?.abort();
    });
    effect(() => {
      const p = params();
      untracked(() => this.start(p));
    });
  }

  /** Fetch everything again (the refresh button). */
  refresh(): void {
    if (this.current) void this.fetchAll(this.current);
  }

  /** A live range ends at the next step on the grid, not at now: PromQL evaluates only
   * at steps, so a sample that just arrived would otherwise wait up to a step to show. */
  private endOf(p: LiveQueryParams, endMs: number): number {
    return this.isLive(p) ? liveEnd(endMs, p.stepMs) : endMs;
  }

  private isLive(p: LiveQueryParams): boolean {
    return p.range.to === 'now' && isRelative(p.range.from);
  }

  private start(p: LiveQueryParams | null): void {
    this.release?.();
    this.release = null;
    this.current = p;
    if (!p) {
      this.data.set([]);
      return;
    }
    if (this.isLive(p)) this.release = this.live.watchSeries(this.backend.liveSelectors(p.query));
    void this.fetchAll(p);
  }

  private async fetchAll(p: LiveQueryParams): Promise<void> {
    this.abort?.abort();
    const abort = (this.abort = new AbortController());
    this.loading.set(true);
    try {
      const resolved = resolveRange(p.range, this.now());
      // Steps on a grid of multiples of the step, so tail refetches land on the same points.
      const range = { startMs: Math.floor(resolved.startMs / p.stepMs) * p.stepMs, endMs: this.endOf(p, resolved.endMs) };
      const data = await this.backend.rangeQuery(p.query, range, p.stepMs, abort.signal);
      if (this.current !== p) return;
      this.data.set(data);
      this.problem.set(null);
      this.updatedAt.set(this.now());
    } catch (err) {
      if (!abort.signal.aborted) this.problem.set(toProblem(err));
    } finally {
      if (this.abort === abort) this.loading.set(false);
    }
  }

  private async fetchTail(): Promise<void> {
    const p = this.current;
    if (!p || this.loading()) return;
    const now = this.now();
    const range = resolveRange(p.range, now);
    const lastT = Math.max(0, ...this.data().map((s) => s.t[s.t.length - 1] ?? 0));
    // Refetch the last two steps too: their windows were still filling when fetched.
    const fromMs = Math.max(range.startMs, (lastT || range.startMs) - 2 * p.stepMs);
    const alignedFrom = Math.floor(fromMs / p.stepMs) * p.stepMs;
    try {
      const fresh = await this.backend.rangeQuery(p.query, { startMs: alignedFrom, endMs: this.endOf(p, range.endMs) }, p.stepMs);
      if (this.current !== p) return;
      this.data.set(mergeTail(this.data(), fresh, alignedFrom, range.startMs));
      this.problem.set(null);
      this.updatedAt.set(now);
    } catch (err) {
      this.problem.set(toProblem(err));
    }
  }
}
