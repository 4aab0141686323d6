import { ChangeDetectionStrategy, Component, computed, inject, resource, signal } from '@angular/core';
import { KeyValuePipe } from '@angular/common';
import { FormsModule } from '@angular/forms';
import { RouterLink } from '@angular/router';
import { Session } from '../../core/auth/session';
import { Permission } from '../../core/auth/me';
import { AlertsApi, DryRun, Rule } from '../../core/model/alerts';
import { formatDuration } from '../../core/time/time-range';
import { ActionState, resourceProblem } from '../../shared/action';
import { ProblemBanner } from '../../shared/problem-banner';
import { DryRunResult } from './dry-run-result';
import { EMPTY_RULE, RuleDraft, ruleBody } from './rule-form';

/**
 * Alert rules: the list, and an editor for new ones (threshold, absence, anomaly). The
 * API creates and deletes rules; changing one means creating its successor ("Copy to
 * editor") and deleting the old one, until the API can update rules in place.
 */
@Component({
  selector: 'oe-rules-page',
  imports: [FormsModule, KeyValuePipe, RouterLink, ProblemBanner, DryRunResult],
  templateUrl: './rules-page.html',
  styles: `
    form { display: flex; flex-direction: column; gap: 0.6rem; }
    .wide { flex: 1; min-width: min(100%, 18rem); }
    .wide input, textarea { width: 100%; }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RulesPage {
  private readonly api = inject(AlertsApi);
  protected readonly session = inject(Session);
  protected readonly P = Permission;
  protected readonly rules = resource({ loader: ({ abortSignal }) => this.api.rules(abortSignal) });
  protected readonly problem = computed(() => resourceProblem(this.rules));
  protected readonly editing = signal(false);
  protected readonly draft = signal<RuleDraft>({ ...EMPTY_RULE });
  protected readonly saving = new ActionState();
  protected readonly deleting = new ActionState();
  protected readonly dryRunning = new ActionState();
  /** The last dry run's answer, for the draft as it was sent (cleared when the draft changes). */
  protected readonly dryRun = signal<DryRun | null>(null);
  protected readonly ops = ['>', '>=', '<', '<=', '==', '!='];
  protected readonly aggregations = ['last', 'avg', 'min', 'max', 'sum', 'count', 'rate', 'increase', 'quantile'];

  protected set<K extends keyof RuleDraft>(key: K, value: RuleDraft[K]): void {
    this.draft.update((d) => ({ ...d, [key]: value }));
    this.dryRun.set(null);
  }

  protected condition(r: Rule): string {
    if (r.type === 'threshold') return `${r.aggregation}(${formatDuration(r.window_ms ?? 0)}) ${r.op} ${r.threshold}`;
    if (r.type === 'absence') return `absent for ${formatDuration(r.absent_for_ms ?? 0)}`;
    return `${r.detector} score ≥ ${r.level}`;
  }

  protected copy(r: Rule): void {
    const pairs = (m: Record<string, string>) => Object.entries(m).map(([k, v]) => `${k}=${v}`).join('\n');
    this.draft.set({
      ...EMPTY_RULE, type: r.type, name: r.name, selector: r.selector, for: formatDuration(r.for_ms),
      keepFiringFor: formatDuration(r.keep_firing_for_ms), aggregation: r.aggregation ?? 'avg',
      window: formatDuration(r.window_ms ?? 60_000), op: r.op ?? '>', threshold: r.threshold?.toString() ?? '',
      absentFor: formatDuration(r.absent_for_ms ?? 300_000), detector: r.detector ?? 'seasonal',
      level: r.level?.toString() ?? '0.9', labels: pairs(r.labels), annotations: pairs(r.annotations),
    });
    this.dryRun.set(null);
    this.editing.set(true);
  }

  /** Would the editor's rule have fired over the last 24 hours of stored samples? */
  protected async runDry(): Promise<void> {
    this.dryRun.set(null);
    const result = await this.dryRunning.run(() => this.api.dryRun(ruleBody(this.draft()), '24h'));
    if (result) this.dryRun.set(result);
  }

  protected async save(): Promise<void> {
    if (await this.saving.run(() => this.api.createRule(ruleBody(this.draft())))) {
      this.editing.set(false);
      this.draft.set({ ...EMPTY_RULE });
      this.dryRun.set(null);
      this.rules.reload();
    }
  }

  protected async remove(r: Rule): Promise<void> {
    if (!confirm(`Delete the rule ${r.name}?`)) return;
    await this.deleting.run(() => this.api.deleteRule(r));
    this.rules.reload();
  }
}
