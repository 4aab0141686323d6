import { Routes } from '@angular/router';

export const alertRoutes: Routes = [
  { path: '', title: 'Alerts · Observer-Eye', loadComponent: () => import('./alerts-page').then((m) => m.AlertsPage) },
  { path: 'rules', title: 'Alert rules · Observer-Eye', loadComponent: () => import('./rules-page').then((m) => m.RulesPage) },
  { path: 'silences', title: 'Silences · Observer-Eye', loadComponent: () => import('./silences-page').then((m) => m.SilencesPage) },
  { path: ':fingerprint', title: 'Alert · Observer-Eye', loadComponent: () => import('./alert-detail-page').then((m) => m.AlertDetailPage) },
];
