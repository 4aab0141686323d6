import { ChangeDetectionStrategy, Component, computed, inject, input, resource } from '@angular/core';
import { JsonPipe } from '@angular/common';
import { Router } from '@angular/router';
import { Session } from '../../core/auth/session';
import { Permission } from '../../core/auth/me';
import { ComplianceApi } from '../../core/model/compliance';
import { ActionState, resourceProblem } from '../../shared/action';
import { ProblemBanner } from '../../shared/problem-banner';
import { Badge } from '../../shared/badges';

/** Posture per framework; the controls (filtered by framework and status); a control's
 * evidence and its evaluation history. Framework, status and control are in the URL. */
@Component({
  selector: 'oe-compliance-page',
  imports: [JsonPipe, ProblemBanner, Badge],
  templateUrl: './compliance-page.html',
  styles: `
    .posture { display: grid; grid-template-columns: repeat(auto-fill, minmax(13rem, 1fr)); gap: 0.75rem; margin-bottom: 0.75rem; }
    .posture button { display: flex; flex-direction: column; align-items: stretch; text-align: left; width: 100%; height: 100%; }
    .posture button[aria-pressed=true] { border-color: var(--oe-accent); }
    .score { font-size: 1.6rem; font-weight: 700; }
    .bar { height: 0.45rem; border-radius: 999px; background: var(--oe-surface-2); overflow: hidden; }
    .bar span { display: block; height: 100%; background: var(--oe-accent); }
    .cols { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 0.75rem; }
    tr.selected { background: var(--oe-surface-2); }
    .link { border: none; background: none; padding: 0; color: var(--oe-accent); text-decoration: underline; min-height: auto; text-align: left; }
    pre { white-space: pre-wrap; font-size: 0.8rem; margin: 0; }
    @media (max-width: 900px) { .cols { grid-template-columns: 1fr; } }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CompliancePage {
  private readonly api = inject(ComplianceApi);
  private readonly router = inject(Router);
  protected readonly session = inject(Session);
  protected readonly P = Permission;
  readonly framework = input<string>();
  readonly status = input<string>();
  readonly control = input<string>();
  protected readonly posture = resource({ loader: ({ abortSignal }) => this.api.posture(abortSignal) });
  protected readonly controls = resource({
    params: () => this.framework(),
    loader: ({ params, abortSignal }) => this.api.controls(params, abortSignal),
  });
  protected readonly evaluations = resource({
    params: () => this.control(),
    loader: ({ params, abortSignal }) => (params ? this.api.evaluations(params, abortSignal) : Promise.resolve([])),
  });
  protected readonly problem = computed(() => resourceProblem(this.posture) ?? resourceProblem(this.controls) ?? resourceProblem(this.evaluations));
  protected readonly shown = computed(() =>
    (this.controls.hasValue() ? this.controls.value() : []).filter((c) => !this.status() || (c.status ?? 'unevaluated') === this.status()));
  protected readonly selected = computed(() => (this.controls.hasValue() ? this.controls.value() : []).find((c) => c.id === this.control()) ?? null);
  protected readonly evaluating = new ActionState();

  protected go(params: Record<string, string | null>): void {
    void this.router.navigate([], { queryParams: params, queryParamsHandling: 'merge' });
  }

  protected async evaluateNow(): Promise<void> {
    if ((await this.evaluating.run(() => this.api.evaluateNow())) !== undefined) {
      this.posture.reload();
      this.controls.reload();
      this.evaluations.reload();
    }
  }
}
