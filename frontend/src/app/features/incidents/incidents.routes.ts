import { Routes } from '@angular/router';

export const incidentRoutes: Routes = [
  { path: '', title: 'Incidents · Observer-Eye', loadComponent: () => import('./incidents-page').then((m) => m.IncidentsPage) },
  { path: ':id', title: 'Incident · Observer-Eye', loadComponent: () => import('./incident-page').then((m) => m.IncidentPage) },
];
