import { signal } from '@angular/core';
import { Problem, toProblem } from '../core/api/problem';

/**
 * One user action's state: busy while it runs, and the API's problem when it failed
 * (shown by <oe-problem>). Errors never escape as unhandled rejections.
 */
export class ActionState {
  readonly busy = signal(false);
  readonly problem = signal<Problem | null>(null);

  async run<T>(work: () => Promise<T>): Promise<T | undefined> {
    this.busy.set(true);
    this.problem.set(null);
    try {
      return await work();
    } catch (err) {
      this.problem.set(toProblem(err));
      return undefined;
    } finally {
      this.busy.set(false);
    }
  }

  clear(): void {
    this.problem.set(null);
  }
}

/** A resource's failure as a problem to show (null while it has none). */
export function resourceProblem(res: { error(): unknown }): Problem | null {
  const err = res.error();
  return err ? toProblem(err) : null;
}
