import { ChangeDetectionStrategy, Component, computed, inject, input } from '@angular/core';
import { Session } from '../../core/auth/session';
import { formatDurationMs, formatValue } from '../../core/format';
import { DryRun } from '../../core/model/alerts';
import { effectiveZone, formatTime } from '../../core/time/time-range';
import { firingIntervals, labelText, stripSegments } from './dry-run';

/** A rule's dry run: whether and when it would have fired, as a strip over the range and a list. */
@Component({
  selector: 'oe-dry-run-result',
  template: `
    @let r = run();
    <section class="dry-run" aria-label="Dry run result" data-testid="dry-run-result">
      <p role="status">
        @if (r.would_have_fired) {
          <strong class="fired">Would have fired</strong>
          {{ r.summary.fired }} time(s), {{ r.summary.alerts_fired }} alert(s); first at {{ time(r.summary.first_fired_at_ms) }};
          firing for {{ duration(r.summary.firing_ms) }} in all@if (r.summary.firing_at_end) {, {{ r.summary.firing_at_end }} still firing at the end}.
        } @else {
          <strong>Would not have fired</strong>
        }
        <span class="muted">{{ time(r.start_ms) }} – {{ time(r.end_ms) }}: {{ r.summary.series }} series,
          {{ r.summary.samples }} samples, {{ r.summary.transitions }} transition(s).</span>
      </p>
      <div class="strip" role="img" [attr.aria-label]="stripLabel()">
        @for (s of segments(); track $index) {
          <span class="seg" [style.left.%]="s.left" [style.width.%]="s.width"
                [title]="label(s.interval.labels) + ' ' + time(s.interval.startMs) + ' – ' + time(s.interval.endMs)"></span>
        }
      </div>
      <div class="axis muted" aria-hidden="true"><span>{{ time(r.start_ms) }}</span><span>{{ time(r.end_ms) }}</span></div>
      @if (intervals().length) {
        <h3>Firing intervals</h3>
        <ul class="intervals">
          @for (i of intervals(); track $index) {
            <li><code>{{ label(i.labels) }}</code> {{ time(i.startMs) }} – @if (i.open) { end of range (still firing) } @else { {{ time(i.endMs) }} }
              ({{ duration(i.endMs - i.startMs) }})</li>
          }
        </ul>
      }
      @if (r.transitions.length) {
        <details>
          <summary>Transitions ({{ r.transitions.length }}@if (r.truncated) { of {{ r.summary.transitions }}, the rest left out })</summary>
          <div class="table-wrap" tabindex="0">
            <table>
              <thead><tr><th scope="col">At</th><th scope="col">From</th><th scope="col">To</th><th scope="col">Value</th><th scope="col">Labels</th></tr></thead>
              <tbody>
                @for (t of r.transitions; track $index) {
                  <tr><td>{{ time(t.at_ms) }}</td><td>{{ t.from }}</td><td>{{ t.to }}</td><td>{{ value(t.value) }}</td><td><code>{{ label(t.labels) }}</code></td></tr>
                }
              </tbody>
            </table>
          </div>
        </details>
      }
    </section>
  `,
  styles: `
    .dry-run { border-top: 1px solid var(--oe-border); padding-top: 0.5rem; }
    .fired { color: var(--oe-danger); }
    .strip { position: relative; height: 1rem; background: var(--oe-surface-2); border: 1px solid var(--oe-border); border-radius: 4px; }
    .seg { position: absolute; top: 0; bottom: 0; background: var(--oe-danger); }
    .axis { display: flex; justify-content: space-between; font-size: 0.8rem; }
    .intervals { margin: 0.25rem 0; padding-left: 1.25rem; }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DryRunResult {
  private readonly session = inject(Session);
  readonly run = input.required<DryRun>();
  protected readonly intervals = computed(() => firingIntervals(this.run()));
  protected readonly segments = computed(() => stripSegments(this.run(), this.intervals()));
  protected readonly zone = computed(() => this.session.me()?.timezone || effectiveZone('browser'));
  protected readonly stripLabel = computed(() => {
    const n = this.intervals().length;
    return n ? `Timeline of the last range: ${n} firing interval(s)` : 'Timeline of the last range: never firing';
  });

  protected time(ms: number | null): string {
    return ms === null ? '—' : formatTime(ms, this.zone(), true);
  }

  protected duration(ms: number): string {
    return formatDurationMs(ms);
  }

  protected value(v: number | string | null): string {
    return typeof v === 'number' ? formatValue(v) : (v ?? '—');
  }

  protected label(labels: Record<string, string>): string {
    return labelText(labels);
  }
}
