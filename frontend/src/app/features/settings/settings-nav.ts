import { ChangeDetectionStrategy, Component } from '@angular/core';
import { RouterLink, RouterLinkActive } from '@angular/router';

@Component({
  selector: 'oe-settings-nav',
  imports: [RouterLink, RouterLinkActive],
  template: `
    <nav aria-label="Settings">
      <a routerLink="/settings/profile" routerLinkActive="active" ariaCurrentWhenActive="page">Profile</a>
      <a routerLink="/settings/notifications" routerLinkActive="active" ariaCurrentWhenActive="page">Notifications</a>
    </nav>
  `,
  styles: `nav { display: flex; gap: 0.5rem; margin-bottom: 0.75rem; flex-wrap: wrap; }
    a { padding: 0.35rem 0.6rem; border-radius: 6px; text-decoration: none; color: var(--oe-fg); border: 1px solid var(--oe-border); }
    a.active { color: var(--oe-accent); font-weight: 600; border-color: var(--oe-accent); }`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SettingsNav {}
