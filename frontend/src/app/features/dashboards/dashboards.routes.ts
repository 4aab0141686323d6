import { Routes } from '@angular/router';

export const dashboardRoutes: Routes = [
  { path: '', title: 'Dashboards · Observer-Eye', loadComponent: () => import('./dashboards-page').then((m) => m.DashboardsPage) },
  { path: ':id', title: 'Dashboard · Observer-Eye', loadComponent: () => import('./dashboard-page').then((m) => m.SavedDashboardPage) },
];
