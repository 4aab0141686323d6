import { ChangeDetectionStrategy, Component, computed, DOCUMENT, inject, InjectionToken, input, resource, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Router } from '@angular/router';
import { safeNext } from '../../core/auth/guards';
import { Session } from '../../core/auth/session';
import { toProblem } from '../../core/api/problem';
import { ProblemBanner } from '../../shared/problem-banner';
import { ActionState } from '../../shared/action';
import { Theme } from '../../core/theme/theme';

/** Leaves the dashboard for an identity provider (a full page load); tests replace it. */
export const LEAVE_FOR = new InjectionToken<(url: string) => void>('LEAVE_FOR', {
  factory: () => {
    const document = inject(DOCUMENT);
    return (url: string) => document.location.assign(url);
  },
});

/**
 * Sign-in (CONTRACT-AUTH): a local account (username, password, the TOTP code when the
 * API answers `mfa_required`, optionally a tenant) and one button per configured
 * identity provider, which leaves for the provider and comes back signed in to `next`.
 *
 * The local form does not wait for `/api/v1/auth/providers`: it is there at once and stays
 * usable when that call is slow or fails (the login call itself then says whether local
 * accounts are on). Only an answer saying `local: false` takes it away.
 */
@Component({
  selector: 'oe-login-page',
  imports: [FormsModule, ProblemBanner],
  templateUrl: './login-page.html',
  styleUrl: './login-page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class LoginPage {
  private readonly session = inject(Session);
  private readonly router = inject(Router);
  protected readonly theme = inject(Theme);
  /** Query parameters (router input binding): where to go afterwards, and an OIDC error. */
  readonly next = input<string>();
  readonly error = input<string>();

  protected readonly providers = resource({ loader: () => this.session.providers() });
  protected readonly username = signal('');
  protected readonly password = signal('');
  protected readonly totp = signal('');
  protected readonly tenant = signal('');
  protected readonly needsTotp = signal(false);
  protected readonly showTenant = signal(false);
  protected readonly action = new ActionState();
  private readonly leave = inject(LEAVE_FOR);

  /** The local form shows unless the server said it has no local accounts. */
  // hasValue() first: a resource in its error state throws from value().
  protected readonly localAllowed = computed(() => (this.providers.hasValue() ? this.providers.value().local : true));
  protected readonly providerList = computed(() => (this.providers.hasValue() ? this.providers.value().providers : []));

  protected providerHref(loginUrl: string): string {
    const sep = loginUrl.includes('?') ? '&' : '?';
    return `${loginUrl}${sep}next=${encodeURIComponent(safeNext(this.next()))}`;
  }

  protected providersProblem() {
    const err = this.providers.error();
    return err ? toProblem(err) : null;
  }

  protected signInWith(loginUrl: string): void {
    this.leave(this.providerHref(loginUrl));
  }

  protected async submit(): Promise<void> {
    const me = await this.action.run(() =>
      this.session.login({
        username: this.username().trim(),
        password: this.password(),
        totp: this.needsTotp() ? this.totp().trim() || null : null,
        tenant: this.tenant().trim() || null,
      }),
    );
    if (me) {
      await this.router.navigateByUrl(safeNext(this.next()));
      return;
    }
    const problem = this.action.problem();
    if (problem?.mfa_required) {
      this.needsTotp.set(true);
      if (!this.totp()) this.action.clear(); // asking for the code is not an error yet
    }
  }
}

