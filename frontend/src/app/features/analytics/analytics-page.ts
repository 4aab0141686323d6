import { ChangeDetectionStrategy, Component, computed, inject, resource, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { AlertsApi } from '../../core/model/alerts';
import { IncidentsApi, mean } from '../../core/model/incidents';
import { formatDurationMs } from '../../core/format';
import { effectiveZone } from '../../core/time/time-range';
import { resourceProblem } from '../../shared/action';
import { ProblemBanner } from '../../shared/problem-banner';
import { TimeSeriesChart } from '../../shared/time-series-chart';
import { SeriesLegend } from '../../shared/series-legend';
import { DAY_MS, alertToIncidentRatio, dailyResponse, noisiestRules } from './trends';

const WINDOWS = [7, 30, 90];

/**
 * Response trends from the incidents the API keeps (daily MTTA and MTTR), the noisiest
 * alert names and the alert-to-incident ratio from the alerts the evaluator knows, and
 * the current scores of anomaly rules. SLOs and error budgets come with their API.
 */
@Component({
  selector: 'oe-analytics-page',
  imports: [RouterLink, ProblemBanner, TimeSeriesChart, SeriesLegend],
  templateUrl: './analytics-page.html',
  styles: `
    .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr)); gap: 0.75rem; margin-bottom: 0.75rem; }
    .big { font-size: 1.6rem; font-weight: 700; display: block; }
    .cols { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 0.75rem; margin-top: 0.75rem; }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AnalyticsPage {
  private readonly incidentsApi = inject(IncidentsApi);
  private readonly alertsApi = inject(AlertsApi);
  protected readonly windows = WINDOWS;
  protected readonly days = signal(30);
  protected readonly zone = effectiveZone('browser');
  protected readonly cursor = signal<number | null>(null);
  protected readonly hidden = signal<ReadonlySet<string>>(new Set());
  protected readonly incidents = resource({ loader: ({ abortSignal }) => this.incidentsApi.list([], 1000, abortSignal) });
  protected readonly alerts = resource({ loader: ({ abortSignal }) => this.alertsApi.alerts([], abortSignal) });
  protected readonly rules = resource({ loader: ({ abortSignal }) => this.alertsApi.rules(abortSignal) });
  protected readonly problem = computed(
    () => resourceProblem(this.incidents) ?? resourceProblem(this.alerts) ?? resourceProblem(this.rules));
  private readonly since = computed(() => Date.now() - this.days() * DAY_MS);
  private readonly recent = computed(() =>
    (this.incidents.hasValue() ? this.incidents.value() : []).filter((i) => i.opened_at_ms >= this.since()));
  protected readonly trend = computed(() => dailyResponse(this.recent(), this.since(), Date.now()));
  protected readonly summary = computed(() => ({
    count: this.recent().length,
    mtta: formatDurationMs(mean(this.recent().map((i) => i.mtta_ms))),
    mttr: formatDurationMs(mean(this.recent().map((i) => i.mttr_ms))),
    ratio: alertToIncidentRatio(this.alerts.hasValue() ? this.alerts.value() : [], this.recent(), this.since()),
  }));
  protected readonly noisy = computed(() => noisiestRules(this.alerts.hasValue() ? this.alerts.value() : []));
  protected readonly anomalies = computed(() => {
    const anomalyRules = new Set((this.rules.hasValue() ? this.rules.value() : []).filter((r) => r.type === 'anomaly').map((r) => r.id));
    return (this.alerts.hasValue() ? this.alerts.value() : [])
      .filter((a) => anomalyRules.has(a.rule_id) && a.value !== null)
      .map((a) => ({ alert: a, score: Number(a.value) }))
      .sort((x, y) => y.score - x.score)
      .slice(0, 20);
  });
}
