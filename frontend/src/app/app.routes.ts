import { Routes } from '@angular/router';
import { requireNoSession, requireSession } from './core/auth/guards';
import { Shell } from './shell/shell';

/** Every page is its own lazily loaded chunk: the first load carries the shell only. */
export const routes: Routes = [
  {
    path: 'login',
    canActivate: [requireNoSession],
    title: 'Sign in · Observer-Eye',
    loadComponent: () => import('./features/login/login-page').then((m) => m.LoginPage),
  },
  {
    path: '',
    component: Shell,
    canActivate: [requireSession],
    children: [
      { path: '', pathMatch: 'full', redirectTo: 'dashboard' },
      {
        path: 'dashboard',
        title: 'Dashboard · Observer-Eye',
        loadComponent: () => import('./features/dashboard/dashboard-page').then((m) => m.DashboardPage),
      },
      {
        path: 'performance',
        title: 'Performance · Observer-Eye',
        loadComponent: () => import('./features/performance/performance-page').then((m) => m.PerformancePage),
      },
      { path: 'dashboards', loadChildren: () => import('./features/dashboards/dashboards.routes').then((m) => m.dashboardRoutes) },
      { path: 'alerts', loadChildren: () => import('./features/alerts/alerts.routes').then((m) => m.alertRoutes) },
      { path: 'incidents', loadChildren: () => import('./features/incidents/incidents.routes').then((m) => m.incidentRoutes) },
      {
        path: 'compliance',
        title: 'Compliance · Observer-Eye',
        loadComponent: () => import('./features/compliance/compliance-page').then((m) => m.CompliancePage),
      },
      {
        path: 'analytics',
        title: 'Analytics · Observer-Eye',
        loadComponent: () => import('./features/analytics/analytics-page').then((m) => m.AnalyticsPage),
      },
      { path: 'settings', loadChildren: () => import('./features/settings/settings.routes').then((m) => m.settingsRoutes) },
      {
        path: '**',
        title: 'Not found · Observer-Eye',
        loadComponent: () => import('./shell/not-found').then((m) => m.NotFound),
      },
    ],
  },
];
