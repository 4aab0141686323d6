import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { Problem } from '../core/api/problem';

/** The API's problem detail, as the API wrote it: what failed, which field, every error. */
@Component({
  selector: 'oe-problem',
  template: `
    @if (problem(); as p) {
      <div class="problem" role="alert">
        <strong>{{ p.title }}@if (p.status) { <span class="status">({{ p.status }})</span> }</strong>
        <div>{{ p.detail }}</div>
        @if (p.field) { <div class="field">Field: <code>{{ p.field }}</code></div> }
        @if (p.limit) { <div class="field">Limit: <code>{{ p.limit }}</code></div> }
        @if (p.retry_after_s) { <div class="field">Try again in {{ p.retry_after_s }} s.</div> }
        @if ((p.errors?.length ?? 0) > 1) {
          <ul>
            @for (e of p.errors; track $index) { <li>@if (e.field) { <code>{{ e.field }}</code>: }{{ e.message }}</li> }
          </ul>
        }
      </div>
    }
  `,
  styles: `
    .problem { border: 1px solid var(--oe-danger); background: var(--oe-danger-bg); color: var(--oe-fg);
      border-radius: 6px; padding: 0.5rem 0.75rem; margin: 0.5rem 0; }
    .status, .field { color: var(--oe-muted); font-size: 0.9em; }
    ul { margin: 0.25rem 0 0; padding-left: 1.25rem; }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ProblemBanner {
  readonly problem = input<Problem | null>(null);
}
