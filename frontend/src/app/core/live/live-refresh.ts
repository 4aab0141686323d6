import { DestroyRef } from '@angular/core';
import { Observable, merge, throttleTime, asyncScheduler } from 'rxjs';

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
