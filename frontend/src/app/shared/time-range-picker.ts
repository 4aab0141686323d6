import { ChangeDetectionStrategy, Component, computed, input, output, signal } from '@angular/core';
import {
  PRESETS, TimeRange, effectiveZone, epochToWallTime, resolveEdge, wallTimeToEpoch,
} from '../core/time/time-range';

const ZONES = ['browser', 'UTC', 'Europe/London', 'Europe/Berlin', 'America/New_York', 'America/Los_Angeles', 'Asia/Tokyo', 'Australia/Sydney'];

/** Relative presets, or an absolute from/to read in the chosen time zone. */
@Component({
  selector: 'oe-time-range-picker',
  template: `
    <div class="picker" role="group" aria-label="Time range">
      <label>Range
        <select [value]="presetValue()" (change)="choosePreset($any($event.target).value)">
          @for (p of presets; track p.from) { <option [value]="p.from" [selected]="p.from === presetValue()">{{ p.label }}</option> }
          <option value="absolute" [selected]="presetValue() === 'absolute'">Absolute…</option>
        </select>
      </label>
      @if (presetValue() === 'absolute') {
        <label>From
          <input type="datetime-local" [value]="wall(range().from)" (change)="setEdge('from', $any($event.target).value)">
        </label>
        <label>To
          <input type="datetime-local" [value]="wall(range().to)" (change)="setEdge('to', $any($event.target).value)">
        </label>
      }
      <label>Time zone
        <select [value]="range().tz" (change)="rangeChange.emit({ from: range().from, to: range().to, tz: $any($event.target).value })">
          @for (z of zones(); track z) { <option [value]="z" [selected]="z === range().tz">{{ z === 'browser' ? 'Browser (' + browserZone + ')' : z }}</option> }
        </select>
      </label>
    </div>
  `,
  styles: `.picker { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: end; }`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TimeRangePicker {
  readonly range = input.required<TimeRange>();
  readonly rangeChange = output<TimeRange>();
  protected readonly presets = PRESETS;
  protected readonly browserZone = effectiveZone('browser');
  private readonly absolute = signal(false);
  protected readonly zones = computed(() => (ZONES.includes(this.range().tz) ? ZONES : [...ZONES, this.range().tz]));
  protected readonly presetValue = computed(() => {
    const r = this.range();
    const preset = r.to === 'now' && PRESETS.find((p) => p.from === r.from);
    return preset && !this.absolute() ? preset.from : 'absolute';
  });

  protected choosePreset(value: string): void {
    const r = this.range();
    if (value === 'absolute') {
      this.absolute.set(true);
      const now = Date.now();
      this.rangeChange.emit({ from: String(resolveEdge(r.from, now)), to: String(resolveEdge(r.to, now)), tz: r.tz });
      return;
    }
    this.absolute.set(false);
    this.rangeChange.emit({ from: value, to: 'now', tz: r.tz });
  }

  protected wall(edge: string): string {
    const ms = resolveEdge(edge, Date.now());
    return ms === null ? '' : epochToWallTime(ms, effectiveZone(this.range().tz));
  }

  protected setEdge(which: 'from' | 'to', wall: string): void {
    const ms = wallTimeToEpoch(wall, effectiveZone(this.range().tz));
    if (ms === null) return;
    const r = this.range();
    this.rangeChange.emit({ ...r, [which]: String(ms) });
  }
}

