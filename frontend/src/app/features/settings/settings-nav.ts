import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { RouterLink, RouterLinkActive } from '@angular/router';
import { Permission, PermissionName } from '../../core/auth/me';
import { Session } from '../../core/auth/session';

/** Settings pages and the permission each needs (null: everyone signed in). */
export const SETTINGS_PAGES: readonly { path: string; label: string; needs: PermissionName | null }[] = [
  { path: 'profile', label: 'Profile', needs: null },
  { path: 'notifications', label: 'Notifications', needs: Permission.readAlerts },
  { path: 'users', label: 'Users', needs: Permission.manageUsers },
  { path: 'teams', label: 'Teams', needs: Permission.readTeams },
  { path: 'roles', label: 'Roles', needs: null },
  { path: 'api-keys', label: 'API keys', needs: Permission.manageApiKeys },
  { path: 'audit', label: 'Audit log', needs: Permission.readAudit },
  { path: 'runbooks', label: 'Runbooks', needs: Permission.readIncidents },
  { path: 'routing', label: 'Routing', needs: Permission.readAlerts },
  { path: 'oncall', label: 'On call', needs: Permission.readIncidents },
  { path: 'maintenance', label: 'Maintenance', needs: Permission.readAlerts },
  { path: 'tenants', label: 'Tenants', needs: Permission.manageTenants },
];

@Component({
  selector: 'oe-settings-nav',
  imports: [RouterLink, RouterLinkActive],
  template: `
    <nav aria-label="Settings">
      @for (p of pages(); track p.path) {
        <a [routerLink]="'/settings/' + p.path" routerLinkActive="active" ariaCurrentWhenActive="page">{{ p.label }}</a>
      }
    </nav>
  `,
  styles: `nav { display: flex; gap: 0.5rem; margin-bottom: 0.75rem; flex-wrap: wrap; }
    a { padding: 0.35rem 0.6rem; border-radius: 6px; text-decoration: none; color: var(--oe-fg); border: 1px solid var(--oe-border); }
    a.active { color: var(--oe-accent); font-weight: 600; border-color: var(--oe-accent); }`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SettingsNav {
  private readonly session = inject(Session);
  /** Only the pages the user may open (the API refuses the others anyway). */
  protected readonly pages = computed(() => SETTINGS_PAGES.filter((p) => p.needs === null || this.session.can(p.needs)));
}
