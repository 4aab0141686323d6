import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Session } from '../../core/auth/session';
import { ApiClient } from '../../core/api/api-client';
import { Contact, Me } from '../../core/auth/me';
import { ActionState } from '../../shared/action';
import { ProblemBanner } from '../../shared/problem-banner';
import { SettingsNav } from './settings-nav';

const KINDS: Contact['kind'][] = ['email', 'sms', 'slack', 'phone'];

/** The signed-in user's own profile (CONTRACT-AUTH `PATCH /api/v1/auth/me`): name, time
 * zone, notification contacts; and two-factor enrolment (`/api/v1/auth/me/totp`). */
@Component({
  selector: 'oe-profile-page',
  imports: [FormsModule, ProblemBanner, SettingsNav],
  templateUrl: './profile-page.html',
  styles: `form { display: flex; flex-direction: column; gap: 0.6rem; max-width: 40rem; } .contact { display: flex; gap: 0.35rem; align-items: end; flex-wrap: wrap; }
    section { margin-bottom: 0.75rem; }`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ProfilePage {
  private readonly api = inject(ApiClient);
  protected readonly session = inject(Session);
  protected readonly kinds = KINDS;
  protected readonly name = signal(this.session.me()?.name ?? '');
  protected readonly timezone = signal(this.session.me()?.timezone ?? '');
  protected readonly contacts = signal<Contact[]>((this.session.me()?.contacts ?? []).map((c) => ({ ...c })));
  protected readonly saving = new ActionState();
  protected readonly saved = signal(false);
  protected readonly totp = new ActionState();
  protected readonly enrolment = signal<{ secret: string; otpauth_uri: string } | null>(null);
  protected readonly code = signal('');

  protected setContact(i: number, change: Partial<Contact>): void {
    this.contacts.update((cs) => cs.map((c, j) => (j === i ? { ...c, ...change } : c)));
  }

  protected addContact(): void {
    this.contacts.update((cs) => [...cs, { kind: 'email', address: '' }]);
  }

  protected removeContact(i: number): void {
    this.contacts.update((cs) => cs.filter((_, j) => j !== i));
  }

  protected async save(): Promise<void> {
    this.saved.set(false);
    const me = await this.saving.run(() =>
      this.session.updateProfile({ name: this.name(), timezone: this.timezone(), contacts: this.contacts() }));
    this.saved.set(!!me);
  }

  protected async startTotp(): Promise<void> {
    const e = await this.totp.run(() => this.api.post<{ secret: string; otpauth_uri: string }>('/api/v1/auth/me/totp'));
    if (e) this.enrolment.set(e);
  }

  protected async confirmTotp(): Promise<void> {
    const me = await this.totp.run(() => this.api.post<Me>('/api/v1/auth/me/totp/confirm', { code: this.code().trim() }));
    if (me) {
      this.session.me.set(me);
      this.enrolment.set(null);
      this.code.set('');
    }
  }

  protected async disableTotp(): Promise<void> {
    const done = await this.totp.run(async () => {
      await this.api.delete('/api/v1/auth/me/totp', { code: this.code().trim() });
      return true;
    });
    if (done) {
      this.code.set('');
      await this.session.load();
    }
  }
}
