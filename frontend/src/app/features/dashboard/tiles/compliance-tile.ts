import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, resource } from '@angular/core';
import { RouterLink } from '@angular/router';
import { LiveStream } from '../../../core/live/live-stream';
import { refreshOn } from '../../../core/live/live-refresh';
import { ComplianceApi, overallScore } from '../../../core/model/compliance';
import { ProblemBanner } from '../../../shared/problem-banner';
import { resourceProblem } from '../../../shared/action';

const REFRESH_MS = 5 * 60_000;

/** The posture score, overall and per framework. */
@Component({
  selector: 'oe-compliance-tile',
  imports: [RouterLink, ProblemBanner],
  template: `
    <oe-problem [problem]="problem()" />
    @if (posture.hasValue()) {
      <a class="big" routerLink="/compliance">{{ overall() === null ? '—' : overall()!.toFixed(0) + '%' }}</a>
      <ul class="list" tabindex="0">
        @for (p of posture.value(); track p.framework) {
          <li>
            <span>{{ p.title }}</span>
            <span>{{ p.score === null ? 'n/a' : p.score.toFixed(0) + '%' }}</span>
          </li>
          <li aria-hidden="true"><div class="bar" style="flex:1"><span [style.width.%]="p.score ?? 0"></span></div></li>
        }
      </ul>
    } @else if (posture.isLoading()) {
      <p class="muted">Loading…</p>
    }
  `,
  styleUrl: './tile.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ComplianceTile {
  private readonly api = inject(ComplianceApi);
  protected readonly posture = resource({ loader: ({ abortSignal }) => this.api.posture(abortSignal) });
  protected readonly problem = computed(() => resourceProblem(this.posture));
  protected readonly overall = computed(() => (this.posture.hasValue() ? overallScore(this.posture.value()) : null));

  constructor() {
    const destroyRef = inject(DestroyRef);
    refreshOn([inject(LiveStream).resync$], () => this.posture.reload(), destroyRef, 10_000);
    const timer = setInterval(() => this.posture.reload(), REFRESH_MS);
    destroyRef.onDestroy(() => clearInterval(timer));
  }
}
