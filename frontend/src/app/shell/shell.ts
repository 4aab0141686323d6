import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { NavigationEnd, Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { filter } from 'rxjs';
import { Session } from '../core/auth/session';
import { LiveStream } from '../core/live/live-stream';
import { Theme } from '../core/theme/theme';

export interface NavItem {
  path: string;
  label: string;
  key: string;
}

export const NAV: readonly NavItem[] = [
  { path: '/dashboard', label: 'Dashboard', key: 'd' },
  { path: '/performance', label: 'Performance', key: 'p' },
  { path: '/dashboards', label: 'Dashboards', key: 'b' },
  { path: '/alerts', label: 'Alerts', key: 'a' },
  { path: '/incidents', label: 'Incidents', key: 'i' },
  { path: '/analytics', label: 'Analytics', key: 'y' },
  { path: '/compliance', label: 'Compliance', key: 'c' },
  { path: '/settings', label: 'Settings', key: 's' },
];

/** Typing in a field is not a shortcut. */
function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

/**
 * The frame of every signed-in page: navigation (a menu button on a phone), the live
 * stream's state (a "stale" badge while it is down), theme, the user and sign-out.
 * Keyboard: a skip link to the content, and `g` followed by a page's key goes there.
 */
@Component({
  selector: 'oe-shell',
  imports: [RouterOutlet, RouterLink, RouterLinkActive],
  templateUrl: './shell.html',
  styleUrl: './shell.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { '(document:keydown)': 'onKey($event)' },
})
export class Shell {
  protected readonly session = inject(Session);
  protected readonly live = inject(LiveStream);
  protected readonly theme = inject(Theme);
  private readonly router = inject(Router);
  protected readonly nav = NAV;
  protected readonly menuOpen = signal(false);
  protected readonly shortcutsOpen = signal(false);
  protected readonly displayName = computed(() => {
    const me = this.session.me();
    return me ? me.name || me.username : '';
  });
  private awaitingKey = false;

  constructor() {
    this.live.start();
    inject(DestroyRef).onDestroy(() => this.live.stop());
    this.router.events
      .pipe(filter((e) => e instanceof NavigationEnd))
      .subscribe(() => this.menuOpen.set(false));
  }

  protected onKey(event: KeyboardEvent): void {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (event.key === 'Escape') {
      this.menuOpen.set(false);
      this.shortcutsOpen.set(false);
      return;
    }
    if (event.key === '?') {
      this.shortcutsOpen.update((v) => !v);
      return;
    }
    if (this.awaitingKey) {
      this.awaitingKey = false;
      const item = NAV.find((n) => n.key === event.key);
      if (item) {
        event.preventDefault();
        void this.router.navigateByUrl(item.path);
      }
      return;
    }
    this.awaitingKey = event.key === 'g';
  }

  protected focusMain(event: Event): void {
    event.preventDefault();
    document.getElementById('main')?.focus();
  }

  protected signOut(): void {
    this.live.stop();
    void this.session.logout();
  }
}
