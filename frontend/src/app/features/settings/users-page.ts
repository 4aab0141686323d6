import { ChangeDetectionStrategy, Component, computed, inject, resource, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Role } from '../../core/auth/me';
import { Session } from '../../core/auth/session';
import { Invitation, User, UsersApi } from '../../core/model/users';
import { ActionState, resourceProblem } from '../../shared/action';
import { Badge } from '../../shared/badges';
import { ProblemBanner } from '../../shared/problem-banner';
import { SecretOnce } from '../../shared/secret-once';
import { SettingsNav } from './settings-nav';
import { when } from './when';

export const ROLES: readonly Role[] = ['viewer', 'responder', 'admin'];

/** The tenant's users (admins): invite (the one-time token is shown once), change a
 * role, deactivate or reactivate, a new password token, remove a second factor. */
@Component({
  selector: 'oe-users-page',
  imports: [FormsModule, ProblemBanner, Badge, SecretOnce, SettingsNav],
  templateUrl: './users-page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class UsersPage {
  private readonly api = inject(UsersApi);
  protected readonly session = inject(Session);
  protected readonly roles = ROLES;
  protected readonly when = when;
  protected readonly users = resource({ loader: ({ abortSignal }) => this.api.users(abortSignal) });
  protected readonly problem = computed(() => resourceProblem(this.users));
  protected readonly action = new ActionState();
  protected readonly draft = signal({ username: '', email: '', name: '', role: 'viewer' as Role });
  protected readonly token = signal<{ label: string; secret: string } | null>(null);

  protected set(field: 'username' | 'email' | 'name' | 'role', value: string): void {
    this.draft.update((d) => ({ ...d, [field]: value }));
  }

  protected async invite(): Promise<void> {
    const d = this.draft();
    const made = await this.action.run(() =>
      this.api.invite({ username: d.username.trim(), email: d.email.trim(), name: d.name.trim(), role: d.role }));
    if (made) {
      this.showToken(made, 'invited');
      this.draft.set({ username: '', email: '', name: '', role: 'viewer' });
      this.users.reload();
    }
  }

  protected async setRole(user: User, role: string): Promise<void> {
    if (role === user.role) return;
    if (await this.action.run(() => this.api.setRole(user.id, role as Role))) this.users.reload();
    else this.users.reload(); // the select shows the role the server still has
  }

  protected async act(user: User, what: 'deactivate' | 'reactivate' | 'reset-mfa'): Promise<void> {
    if (await this.action.run(() => this.api.act(user.id, what))) this.users.reload();
  }

  protected async resetPassword(user: User): Promise<void> {
    const made = await this.action.run(() => this.api.resetPassword(user.id));
    if (made) {
      this.showToken(made, 'may set a new password');
      this.users.reload();
    }
  }

  private showToken(made: Invitation, what: string): void {
    this.token.set({
      label: `${made.user.username} ${what}: their one-time token (POST /api/v1/auth/set-password), valid until ${when(made.invitation.expires_at_ms)}`,
      secret: made.invitation.token,
    });
  }
}
