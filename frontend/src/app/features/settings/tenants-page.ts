import { ChangeDetectionStrategy, Component, computed, inject, resource, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Tenant, TenantsApi } from '../../core/model/tenants';
import { ActionState, resourceProblem } from '../../shared/action';
import { Badge } from '../../shared/badges';
import { ProblemBanner } from '../../shared/problem-banner';
import { SecretOnce } from '../../shared/secret-once';
import { SettingsNav } from './settings-nav';
import { when } from './when';

/** Tenants (platform administrators): create one with its first admin (their one-time
 * token and the tenant's admin API key are shown once), deactivate, reactivate. */
@Component({
  selector: 'oe-tenants-page',
  imports: [FormsModule, ProblemBanner, Badge, SecretOnce, SettingsNav],
  template: `
    <h1>Settings</h1>
    <oe-settings-nav />
    <h2>Tenants</h2>
    <oe-problem [problem]="problem()" />
    <section class="card">
      <h3>New tenant</h3>
      <form class="row" (ngSubmit)="create()" aria-label="New tenant">
        <label>Id <input name="id" required placeholder="acme" [ngModel]="draft().id" (ngModelChange)="set('id', $event)"></label>
        <label>Name <input name="name" required [ngModel]="draft().name" (ngModelChange)="set('name', $event)"></label>
        <label>Admin username <input name="adminUsername" required [ngModel]="draft().username" (ngModelChange)="set('username', $event)"></label>
        <label>Admin email <input name="adminEmail" type="email" required [ngModel]="draft().email" (ngModelChange)="set('email', $event)"></label>
        <label>Admin name <input name="adminName" required [ngModel]="draft().adminName" (ngModelChange)="set('adminName', $event)"></label>
        <button class="primary" type="submit" [disabled]="action.busy()">Create tenant</button>
      </form>
    </section>
    @for (s of secrets(); track s.label) {
      <oe-secret-once [label]="s.label" [secret]="s.secret" (dismissed)="dismiss(s.label)" />
    }
    <oe-problem [problem]="action.problem()" />
    <div class="table-wrap" tabindex="0">
      <table>
        <thead><tr><th scope="col">Tenant</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          @for (t of tenants.hasValue() ? tenants.value() : []; track t.id) {
            <tr>
              <td><strong>{{ t.name }}</strong> <code class="muted">{{ t.id }}</code></td>
              <td><oe-badge [text]="t.status" /></td><td>{{ when(t.created_at_ms) }}</td>
              <td>
                @if (t.status === 'active') {
                  <button type="button" class="danger" (click)="setActive(t, false)" [disabled]="action.busy()"
                          [attr.aria-label]="'Deactivate tenant ' + t.id">Deactivate</button>
                } @else {
                  <button type="button" (click)="setActive(t, true)" [disabled]="action.busy()"
                          [attr.aria-label]="'Reactivate tenant ' + t.id">Reactivate</button>
                }
              </td>
            </tr>
          }
        </tbody>
      </table>
    </div>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TenantsPage {
  private readonly api = inject(TenantsApi);
  protected readonly when = when;
  protected readonly tenants = resource({ loader: ({ abortSignal }) => this.api.list(abortSignal) });
  protected readonly problem = computed(() => resourceProblem(this.tenants));
  protected readonly action = new ActionState();
  protected readonly draft = signal({ id: '', name: '', username: '', email: '', adminName: '' });
  protected readonly secrets = signal<{ label: string; secret: string }[]>([]);

  protected set(field: 'id' | 'name' | 'username' | 'email' | 'adminName', value: string): void {
    this.draft.update((d) => ({ ...d, [field]: value }));
  }

  protected async create(): Promise<void> {
    const d = this.draft();
    const made = await this.action.run(() => this.api.create({
      id: d.id.trim(), name: d.name.trim(), admin: { username: d.username.trim(), email: d.email.trim(), name: d.adminName.trim() },
    }));
    if (made) {
      this.secrets.set([
        { label: `${made.admin.user.username}'s one-time token (they set their password with it)`, secret: made.admin.invitation.token },
        { label: `The admin API key of tenant ${made.tenant.id}`, secret: made.api_key },
      ]);
      this.draft.set({ id: '', name: '', username: '', email: '', adminName: '' });
      this.tenants.reload();
    }
  }

  protected dismiss(label: string): void {
    this.secrets.update((s) => s.filter((x) => x.label !== label));
  }

  protected async setActive(tenant: Tenant, active: boolean): Promise<void> {
    if (await this.action.run(() => this.api.setActive(tenant.id, active))) this.tenants.reload();
  }
}
