import { ChangeDetectionStrategy, Component, computed, inject, resource, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { Session } from '../../core/auth/session';
import { Permission } from '../../core/auth/me';
import { AlertsApi, Silence } from '../../core/model/alerts';
import { ActionState, resourceProblem } from '../../shared/action';
import { ProblemBanner } from '../../shared/problem-banner';
import { Badge } from '../../shared/badges';
import { SilenceForm } from './silence-form';

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** Silences and maintenance windows: list, create, expire. */
@Component({
  selector: 'oe-silences-page',
  imports: [RouterLink, ProblemBanner, Badge, SilenceForm],
  template: `
    <p><a routerLink="/alerts">← Alerts</a></p>
    <div class="toolbar">
      <h1 style="margin:0 auto 0 0">Silences</h1>
      @if (session.can(P.manageSilences)) {
        <button type="button" (click)="creating.set(!creating())" [attr.aria-expanded]="creating()">New silence</button>
      }
    </div>
    @if (creating()) {
      <section class="card"><h2>New silence</h2><oe-silence-form (created)="created()" /></section>
    }
    <oe-problem [problem]="problem()" />
    <oe-problem [problem]="expiring.problem()" />
    <div class="table-wrap" tabindex="0">
      <table>
        <thead><tr><th scope="col">Matchers</th><th scope="col">State</th><th scope="col">Window</th><th scope="col">Repeats</th><th scope="col">By</th><th scope="col">Comment</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>
          @for (s of silences.hasValue() ? silences.value() : []; track s.id) {
            <tr>
              <td>@for (m of s.matchers; track $index) { <code>{{ m.name }}{{ op(m) }}"{{ m.value }}"</code> }</td>
              <td><oe-badge [text]="s.status.state" /></td>
              <td>{{ s.startsAt }} → {{ s.endsAt }}</td>
              <td>{{ repeats(s) }}</td>
              <td>{{ s.createdBy }}</td>
              <td>{{ s.comment }}</td>
              <td>
                @if (session.can(P.manageSilences) && s.status.state !== 'expired') {
                  <button type="button" (click)="expire(s)" [disabled]="expiring.busy()">Expire</button>
                }
              </td>
            </tr>
          } @empty {
            <tr><td colspan="7" class="muted">No silences.</td></tr>
          }
        </tbody>
      </table>
    </div>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SilencesPage {
  private readonly api = inject(AlertsApi);
  protected readonly session = inject(Session);
  protected readonly P = Permission;
  protected readonly silences = resource({ loader: ({ abortSignal }) => this.api.silences(abortSignal) });
  protected readonly problem = computed(() => resourceProblem(this.silences));
  protected readonly creating = signal(false);
  protected readonly expiring = new ActionState();

  protected op(m: { isEqual: boolean; isRegex: boolean }): string {
    return m.isEqual ? (m.isRegex ? '=~' : '=') : m.isRegex ? '!~' : '!=';
  }

  protected repeats(s: Silence): string {
    const r = s.recurrence;
    if (!r) return '—';
    return `${r.weekdays.map((d) => DAYS[d]).join(', ')} ${r.start_time} for ${Math.round(r.duration_ms / 60_000)} min (${r.timezone})`;
  }

  protected created(): void {
    this.creating.set(false);
    this.silences.reload();
  }

  protected async expire(s: Silence): Promise<void> {
    if (await this.expiring.run(() => this.api.expireSilence(s.id))) this.silences.reload();
  }
}
