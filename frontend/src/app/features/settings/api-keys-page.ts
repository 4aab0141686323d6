import { ChangeDetectionStrategy, Component, computed, inject, resource, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { ApiKey, ApiKeysApi, KEY_SCOPES, KeyScope } from '../../core/model/api-keys';
import { ActionState, resourceProblem } from '../../shared/action';
import { Badge } from '../../shared/badges';
import { ProblemBanner } from '../../shared/problem-banner';
import { SecretOnce } from '../../shared/secret-once';
import { SettingsNav } from './settings-nav';
import { when } from './when';

/** The tenant's API keys: create (the secret is shown once), rotate with a grace
 * period (the new secret shown once), revoke. Listings show the masked form only. */
@Component({
  selector: 'oe-api-keys-page',
  imports: [FormsModule, ProblemBanner, Badge, SecretOnce, SettingsNav],
  template: `
    <h1>Settings</h1>
    <oe-settings-nav />
    <h2>API keys</h2>
    <oe-problem [problem]="problem()" />
    <section class="card">
      <h3>New key</h3>
      <form class="row" (ngSubmit)="create()" aria-label="New API key">
        <label>Name <input name="name" required [ngModel]="name()" (ngModelChange)="name.set($event)"></label>
        <fieldset class="scopes">
          <legend>Scopes</legend>
          @for (s of scopes; track s) {
            <label class="inline"><input type="checkbox" [checked]="chosen().includes(s)" (change)="toggle(s, $any($event.target).checked)"> {{ s }}</label>
          }
        </fieldset>
        <label>Expires in (days) <input name="days" type="number" min="1" max="3650" size="5" [disabled]="never()"
                                         [ngModel]="days()" (ngModelChange)="days.set($event)"></label>
        <label class="inline"><input type="checkbox" name="never" [checked]="never()" (change)="never.set($any($event.target).checked)"> Never expires</label>
        <button class="primary" type="submit" [disabled]="action.busy()">Create key</button>
      </form>
    </section>
    @if (secret(); as s) { <oe-secret-once [label]="s.label" [secret]="s.secret" (dismissed)="secret.set(null)" /> }
    <oe-problem [problem]="action.problem()" />
    <label class="inline"><input type="checkbox" [checked]="showRevoked()" (change)="showRevoked.set($any($event.target).checked)"> Show revoked keys</label>
    <div class="table-wrap" tabindex="0">
      <table>
        <thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Scopes</th><th scope="col">Owner</th>
          <th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          @for (k of shown(); track k.id) {
            <tr>
              <td>{{ k.name }}</td><td><code>{{ k.key }}</code></td>
              <td>@for (s of k.scopes; track s) { <oe-badge [text]="s" /> }</td>
              <td><code>{{ k.owner ?? '—' }}</code></td><td>{{ when(k.created_at_ms) }}</td>
              <td>{{ k.expires_at_ms ? when(k.expires_at_ms) : 'never' }}</td>
              <td class="row">
                @if (k.revoked_at_ms) {
                  <span class="muted">revoked {{ when(k.revoked_at_ms) }}</span>
                } @else {
                  <label>Grace (s) <input type="number" min="0" max="86400" size="5" #grace value="0"
                                          [attr.aria-label]="'Grace seconds for ' + k.name"></label>
                  <button type="button" (click)="rotate(k, +grace.value)" [disabled]="action.busy()"
                          [attr.aria-label]="'Rotate ' + k.name">Rotate</button>
                  <button type="button" class="danger" (click)="revoke(k)" [disabled]="action.busy()"
                          [attr.aria-label]="'Revoke ' + k.name">Revoke</button>
                }
              </td>
            </tr>
          } @empty {
            @if (!keys.isLoading()) { <tr><td colspan="7" class="muted">No keys.</td></tr> }
          }
        </tbody>
      </table>
    </div>
  `,
  styles: `.scopes { border: none; display: flex; gap: 0.5rem; padding: 0; margin: 0; align-items: end; }
    .scopes legend { font-size: 0.9rem; color: var(--oe-muted); }
    .inline { flex-direction: row; align-items: center; gap: 0.3rem; display: inline-flex; }`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ApiKeysPage {
  private readonly api = inject(ApiKeysApi);
  protected readonly when = when;
  protected readonly scopes = KEY_SCOPES;
  protected readonly keys = resource({ loader: ({ abortSignal }) => this.api.list(abortSignal) });
  protected readonly problem = computed(() => resourceProblem(this.keys));
  protected readonly showRevoked = signal(false);
  protected readonly shown = computed(() =>
    (this.keys.hasValue() ? this.keys.value() : []).filter((k) => this.showRevoked() || !k.revoked_at_ms));
  protected readonly action = new ActionState();
  protected readonly name = signal('');
  protected readonly chosen = signal<KeyScope[]>(['read']);
  protected readonly days = signal<number | null>(90);
  protected readonly never = signal(false);
  protected readonly secret = signal<{ label: string; secret: string } | null>(null);

  protected toggle(scope: KeyScope, on: boolean): void {
    this.chosen.update((s) => (on ? [...new Set([...s, scope])] : s.filter((x) => x !== scope)));
  }

  protected async create(): Promise<void> {
    const made = await this.action.run(() => this.api.create({
      name: this.name().trim(), scopes: this.chosen(), expires_in_days: this.days() ? Number(this.days()) : null,
      never_expires: this.never(),
    }));
    if (made) {
      this.secret.set({ label: `The secret of the new key "${made.name}"`, secret: made.secret });
      this.name.set('');
      this.keys.reload();
    }
  }

  protected async rotate(key: ApiKey, graceS: number): Promise<void> {
    const made = await this.action.run(() => this.api.rotate(key.id, graceS));
    if (made) {
      this.secret.set({ label: `The new secret of "${made.name}" (the old one works ${graceS} s more)`, secret: made.secret });
      this.keys.reload();
    }
  }

  protected async revoke(key: ApiKey): Promise<void> {
    await this.action.run(() => this.api.revoke(key.id));
    if (!this.action.problem()) this.keys.reload();
  }
}
