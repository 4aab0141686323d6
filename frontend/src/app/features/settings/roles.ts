import { Role } from '../../core/auth/me';

/**
 * What each role may do: a copy of PERMISSIONS in domain/identity/permissions.py (the
 * API has no roles resource; roles are fixed). tests/unit/test_dashboard_permissions.py
 * fails when the two disagree. Platform permissions (tenants, dead letters) belong to
 * platform administrators, whatever their role.
 */
export const ROLE_PERMISSIONS: Record<Role, readonly string[]> = {
  viewer: ['telemetry:read', 'alerts:read', 'incidents:read', 'compliance:read', 'teams:read'],
  responder: [
    'telemetry:read', 'alerts:read', 'incidents:read', 'compliance:read', 'teams:read',
    'incidents:act', 'incidents:manage', 'silences:manage', 'oncall:overrides', 'dashboards:manage',
  ],
  admin: [
    'telemetry:read', 'telemetry:ingest', 'alerts:read', 'rules:manage', 'silences:manage', 'incidents:read',
    'incidents:act', 'incidents:manage', 'compliance:read', 'compliance:manage', 'teams:read', 'teams:manage',
    'users:manage', 'api_keys:manage', 'runbooks:manage', 'audit:read', 'routing:manage',
    'oncall:manage', 'oncall:overrides', 'dashboards:manage',
  ],
};

export const PLATFORM_PERMISSIONS: readonly string[] = ['tenants:manage', 'dead_letters:manage'];

/** What a permission lets one do, in words. */
export const PERMISSION_TEXT: Record<string, string> = {
  'telemetry:read': 'read metrics and series',
  'telemetry:ingest': 'send telemetry',
  'alerts:read': 'see alerts and rules',
  'rules:manage': 'create and delete alert rules',
  'silences:manage': 'create and expire silences',
  'incidents:read': 'follow incidents',
  'incidents:act': 'acknowledge, resolve, add notes, approve remediation gates',
  'incidents:manage': 'change severity, close, publish postmortems',
  'compliance:read': 'see compliance posture',
  'compliance:manage': 'evaluate compliance, send facts',
  'teams:read': 'see teams',
  'teams:manage': 'create and edit teams',
  'users:manage': 'invite users, change roles, deactivate',
  'api_keys:manage': 'create, rotate and revoke API keys',
  'runbooks:manage': 'edit the runbook catalogue',
  'audit:read': 'read and export the audit log',
  'tenants:manage': 'create and deactivate tenants',
  'dead_letters:manage': 'list and replay dead letters',
  'routing:manage': 'edit notification routing, receivers, inhibit rules and time intervals',
  'oncall:manage': 'edit escalation policies and on-call schedules',
  'oncall:overrides': 'take or hand over an on-call shift',
  'dashboards:manage': 'save, import and delete the tenant\'s dashboards',
};
