import { Injectable, inject } from '@angular/core';
import { ApiClient } from '../api/api-client';
import { Role } from '../auth/me';

/** A user as admins see them (`/api/v1/users`, services/identity/audit.py user_view). */
export interface User {
  id: string;
  username: string;
  email: string;
  name: string;
  role: Role;
  status: 'invited' | 'active' | 'deactivated';
  timezone: string;
  mfa_enabled: boolean;
  platform_admin: boolean;
  created_at_ms: number;
  last_sign_in_ms: number | null;
  invitation_expires_at_ms: number | null;
  identity_providers: string[];
}

/** The one-time token a person sets their password with: shown once. */
export interface Invitation {
  user: User;
  invitation: { token: string; expires_at_ms: number };
}

export interface Team {
  id: string;
  name: string;
  description: string;
  members: string[];
}

/** Users and teams of the caller's tenant (admins manage users; everyone reads teams). */
@Injectable({ providedIn: 'root' })
export class UsersApi {
  private readonly api = inject(ApiClient);

  users(signal?: AbortSignal): Promise<User[]> {
    return this.api.get<User[]>('/api/v1/users', undefined, signal);
  }

  invite(body: { username: string; email: string; name: string; role: Role }): Promise<Invitation> {
    return this.api.post<Invitation>('/api/v1/users', body);
  }

  setRole(id: string, role: Role): Promise<User> {
    return this.api.patch<User>(`/api/v1/users/${encodeURIComponent(id)}`, { role });
  }

  /** deactivate, reactivate, reset-mfa answer the user; reset-password a new invitation. */
  act(id: string, action: 'deactivate' | 'reactivate' | 'reset-mfa'): Promise<User> {
    return this.api.post<User>(`/api/v1/users/${encodeURIComponent(id)}/${action}`);
  }

  resetPassword(id: string): Promise<Invitation> {
    return this.api.post<Invitation>(`/api/v1/users/${encodeURIComponent(id)}/reset-password`);
  }

  teams(signal?: AbortSignal): Promise<Team[]> {
    return this.api.get<Team[]>('/api/v1/teams', undefined, signal);
  }

  createTeam(team: Team): Promise<Team> {
    return this.api.post<Team>('/api/v1/teams', team);
  }

  updateTeam(id: string, change: Partial<Omit<Team, 'id'>>): Promise<Team> {
    return this.api.patch<Team>(`/api/v1/teams/${encodeURIComponent(id)}`, change);
  }

  deleteTeam(id: string): Promise<void> {
    return this.api.delete(`/api/v1/teams/${encodeURIComponent(id)}`);
  }
}
