import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { Session } from '../../core/auth/session';
import { SettingsNav } from './settings-nav';
import { PERMISSION_TEXT, PLATFORM_PERMISSIONS, ROLE_PERMISSIONS } from './roles';
import { ROLES } from './users-page';

/** The three roles and what each may do (fixed; an admin gives users a role on Users). */
@Component({
  selector: 'oe-roles-page',
  imports: [SettingsNav],
  template: `
    <h1>Settings</h1>
    <oe-settings-nav />
    <h2>Roles</h2>
    <p class="muted">Each user has one role; your role is <strong>{{ session.me()?.role }}</strong>.
      Platform administrators may also {{ platform }}.</p>
    <div class="table-wrap" tabindex="0">
      <table>
        <thead><tr><th scope="col">Permission</th>@for (r of roles; track r) { <th scope="col">{{ r }}</th> }</tr></thead>
        <tbody>
          @for (p of permissions; track p) {
            <tr>
              <th scope="row"><code>{{ p }}</code> <span class="muted">{{ text[p] }}</span></th>
              @for (r of roles; track r) {
                <td>@if (grants[r].includes(p)) { <span aria-label="yes">✓</span> } @else { <span class="muted" aria-label="no">—</span> }</td>
              }
            </tr>
          }
        </tbody>
      </table>
    </div>
  `,
  styles: `th[scope=row] { font-weight: normal; text-align: left; } td { text-align: center; }`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RolesPage {
  protected readonly session = inject(Session);
  protected readonly roles = ROLES;
  protected readonly grants = ROLE_PERMISSIONS;
  protected readonly permissions = ROLE_PERMISSIONS.admin;
  protected readonly text = PERMISSION_TEXT;
  protected readonly platform = PLATFORM_PERMISSIONS.map((p) => PERMISSION_TEXT[p]).join(' and ');
}
