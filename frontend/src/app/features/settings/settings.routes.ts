import { Routes } from '@angular/router';

/** Settings pages for what the API has: the profile, notification deliveries, users,
 * teams, roles, API keys, the audit log, runbooks, tenants (platform administrators) and
 * notification routing (receivers with "send test", the routing tree), and on call
 * (now and next, a week's calendar, overrides, schedules and escalation policies), and
 * maintenance windows. */
export const settingsRoutes: Routes = [
  { path: '', pathMatch: 'full', redirectTo: 'profile' },
  { path: 'profile', title: 'Profile · Observer-Eye', loadComponent: () => import('./profile-page').then((m) => m.ProfilePage) },
  { path: 'users', title: 'Users · Observer-Eye', loadComponent: () => import('./users-page').then((m) => m.UsersPage) },
  { path: 'teams', title: 'Teams · Observer-Eye', loadComponent: () => import('./teams-page').then((m) => m.TeamsPage) },
  { path: 'roles', title: 'Roles · Observer-Eye', loadComponent: () => import('./roles-page').then((m) => m.RolesPage) },
  { path: 'api-keys', title: 'API keys · Observer-Eye', loadComponent: () => import('./api-keys-page').then((m) => m.ApiKeysPage) },
  { path: 'audit', title: 'Audit log · Observer-Eye', loadComponent: () => import('./audit-page').then((m) => m.AuditPage) },
  { path: 'runbooks', title: 'Runbooks · Observer-Eye', loadComponent: () => import('./runbooks-page').then((m) => m.RunbooksPage) },
  { path: 'routing', title: 'Routing · Observer-Eye', loadComponent: () => import('./routing-page').then((m) => m.RoutingPage) },
  { path: 'oncall', title: 'On call · Observer-Eye', loadComponent: () => import('./oncall-page').then((m) => m.OnCallPage) },
  {
    path: 'maintenance',
    title: 'Maintenance windows · Observer-Eye',
    loadComponent: () => import('./maintenance-page').then((m) => m.MaintenancePage),
  },
  { path: 'tenants', title: 'Tenants · Observer-Eye', loadComponent: () => import('./tenants-page').then((m) => m.TenantsPage) },
  {
    path: 'notifications',
    title: 'Notifications · Observer-Eye',
    loadComponent: () => import('./notifications-page').then((m) => m.NotificationsPage),
  },
];
