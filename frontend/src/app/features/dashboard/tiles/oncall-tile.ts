import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, resource } from '@angular/core';
import { RouterLink } from '@angular/router';
import { OnCallApi } from '../../../core/model/oncall';
import { formatTime } from '../../../core/time/time-range';
import { ProblemBanner } from '../../../shared/problem-banner';
import { resourceProblem } from '../../../shared/action';

const REFRESH_MS = 60_000; // shifts hand over at known times; the stream carries no on-call events

/** Who is on call now in every schedule, and until when. */
@Component({
  selector: 'oe-oncall-tile',
  imports: [RouterLink, ProblemBanner],
  template: `
    <oe-problem [problem]="problem()" />
    @if (now.hasValue()) {
      <ul class="list" tabindex="0">
        @for (s of now.value(); track s.schedule) {
          <li><span>{{ s.name || s.schedule }}</span>
            <span><strong>{{ s.current?.user ?? 'nobody' }}</strong>
              @if (s.current) { <span class="muted small"> until {{ until(s.current.end_ms, s.timezone) }}</span> }</span></li>
        } @empty {
          <li class="muted">No schedules: <a routerLink="/settings/oncall">add one</a>.</li>
        }
      </ul>
    } @else if (now.isLoading()) {
      <p class="muted">Loading…</p>
    }
  `,
  styleUrl: './tile.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class OnCallTile {
  private readonly api = inject(OnCallApi);
  protected readonly now = resource({ loader: ({ abortSignal }) => this.api.everyone(abortSignal) });
  protected readonly problem = computed(() => resourceProblem(this.now));

  constructor() {
    const timer = setInterval(() => this.now.reload(), REFRESH_MS);
    inject(DestroyRef).onDestroy(() => clearInterval(timer));
  }

  protected until(ms: number, zone: string): string {
    return formatTime(ms, zone);
  }
}
