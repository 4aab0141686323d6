/** Shapes of the sign-in and session contract (CONTRACT-AUTH.md). */

export type Role = 'viewer' | 'responder' | 'admin';

export interface Contact {
  kind: 'email' | 'sms' | 'slack' | 'phone';
  address: string;
}

/** The signed-in user (`GET /api/v1/auth/me`). */
export interface Me {
  id: string;
  tenant: string;
  username: string;
  email: string;
  name: string;
  role: Role;
  permissions: string[];
  platform_admin: boolean;
  mfa_enabled: boolean;
  timezone: string;
  contacts: Contact[];
  teams: { id: string; name: string }[];
  auth: string;
}

export interface IdentityProvider {
  id: string;
  name: string;
  kind: 'oidc' | 'github';
  login_url: string;
}

export interface Providers {
  local: boolean;
  providers: IdentityProvider[];
}

export interface LoginRequest {
  username: string;
  password: string;
  totp: string | null;
  tenant: string | null;
}

/** The API's permissions (domain/identity/permissions.py); the dashboard hides what
 * `Me.permissions` lacks, and the API refuses it anyway. */
export const Permission = {
  readTelemetry: 'telemetry:read',
  ingestTelemetry: 'telemetry:ingest',
  readAlerts: 'alerts:read',
  manageRules: 'rules:manage',
  manageSilences: 'silences:manage',
  readIncidents: 'incidents:read',
  actOnIncidents: 'incidents:act',
  manageIncidents: 'incidents:manage',
  readCompliance: 'compliance:read',
  manageCompliance: 'compliance:manage',
  readTeams: 'teams:read',
  manageTeams: 'teams:manage',
  manageUsers: 'users:manage',
  manageApiKeys: 'api_keys:manage',
  manageRunbooks: 'runbooks:manage',
  readAudit: 'audit:read',
  manageTenants: 'tenants:manage',
  manageDeadLetters: 'dead_letters:manage',
  manageRouting: 'routing:manage',
  manageOncall: 'oncall:manage',
  manageOverrides: 'oncall:overrides',
  manageDashboards: 'dashboards:manage',
} as const;

export type PermissionName = (typeof Permission)[keyof typeof Permission];
