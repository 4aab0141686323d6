import { DestroyRef, inject } from '@angular/core';
import { Observable, merge, throttleTime, asyncScheduler } from 'rxjs';
import { LiveStream } from './live-stream';

/**
 * Call `reload` when any source emits, at most once per `intervalMs` (the first at once,
 * the last of a burst at the end of the interval, so the final state is always fetched).
 */
export function refreshOn(
  sources: Observable<unknown>[],
  reload: () => void,
  destroyRef: DestroyRef,
  intervalMs = 1_000,
): void {
  const sub = merge(...sources)
    .pipe(throttleTime(intervalMs, asyncScheduler, { leading: true, trailing: true }))
    .subscribe(() => reload());
  destroyRef.onDestroy(() => sub.unsubscribe());
}

/** For as long as the calling component lives: watch the alert feed and `reload` on
 * each alert transition and each resync (call in an injection context). */
export function reloadOnAlerts(reload: () => void, intervalMs = 1_000): void {
  const live = inject(LiveStream);
  const destroyRef = inject(DestroyRef);
  live.watchAlerts(destroyRef);
  refreshOn([live.alerts$, live.resync$], reload, destroyRef, intervalMs);
}

/** The same for the incident feed. */
export function reloadOnIncidents(reload: () => void, intervalMs = 1_000): void {
  const live = inject(LiveStream);
  const destroyRef = inject(DestroyRef);
  live.watchIncidents(destroyRef);
  refreshOn([live.incidents$, live.resync$], reload, destroyRef, intervalMs);
}
