import { Routes } from '@angular/router';

/** Settings pages for what the API has today; users, teams, API keys, audit and tenants
 * join when the identity routes land, routes/receivers/schedules with the control plane. */
export const settingsRoutes: Routes = [
  { path: '', pathMatch: 'full', redirectTo: 'profile' },
  { path: 'profile', title: 'Profile · Observer-Eye', loadComponent: () => import('./profile-page').then((m) => m.ProfilePage) },
  {
    path: 'notifications',
    title: 'Notifications · Observer-Eye',
    loadComponent: () => import('./notifications-page').then((m) => m.NotificationsPage),
  },
];
