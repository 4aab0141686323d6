import { ChangeDetectionStrategy, Component, computed, inject, resource, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Permission } from '../../core/auth/me';
import { Session } from '../../core/auth/session';
import { Team, UsersApi } from '../../core/model/users';
import { ActionState, resourceProblem } from '../../shared/action';
import { ProblemBanner } from '../../shared/problem-banner';
import { SettingsNav } from './settings-nav';

/** Members as typed: comma- or space-separated user ids, without duplicates. */
export function parseMembers(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((m) => m.trim()).filter(Boolean))];
}

/** The tenant's teams: everyone reads them; admins create, edit members and delete. */
@Component({
  selector: 'oe-teams-page',
  imports: [FormsModule, ProblemBanner, SettingsNav],
  template: `
    <h1>Settings</h1>
    <oe-settings-nav />
    <h2>Teams</h2>
    <oe-problem [problem]="problem()" />
    @if (session.can(P.manageTeams)) {
      <section class="card">
        <h3>New team</h3>
        <form class="row" (ngSubmit)="create()" aria-label="New team">
          <label>Id <input name="id" required [ngModel]="draft().id" (ngModelChange)="set('id', $event)"></label>
          <label>Name <input name="name" required [ngModel]="draft().name" (ngModelChange)="set('name', $event)"></label>
          <label>Description <input name="description" [ngModel]="draft().description" (ngModelChange)="set('description', $event)"></label>
          <label>Members (user ids) <input name="members" [ngModel]="draft().members" (ngModelChange)="set('members', $event)"></label>
          <button class="primary" type="submit" [disabled]="action.busy()">Create team</button>
        </form>
      </section>
    }
    <oe-problem [problem]="action.problem()" />
    @for (t of teams.hasValue() ? teams.value() : []; track t.id) {
      <section class="card team" [attr.aria-label]="'Team ' + t.name">
        <h3>{{ t.name }} <code class="muted">{{ t.id }}</code></h3>
        @if (t.description) { <p>{{ t.description }}</p> }
        @if (session.can(P.manageTeams)) {
          <form class="row" (ngSubmit)="saveMembers(t, members.value)">
            <label class="grow">Members <input #members [name]="'members-' + t.id" [value]="t.members.join(', ')"></label>
            <button type="submit" [disabled]="action.busy()">Save members</button>
            <button type="button" class="danger" (click)="remove(t)" [disabled]="action.busy()"
                    [attr.aria-label]="'Delete team ' + t.name">Delete</button>
          </form>
        } @else {
          <p>Members: @for (m of t.members; track m) { <code>{{ m }}</code> } @empty { <span class="muted">none</span> }</p>
        }
      </section>
    } @empty {
      @if (!teams.isLoading()) { <p class="muted">No teams yet.</p> }
    }
  `,
  styles: `.team { margin-bottom: 0.75rem; } .grow { flex: 1; } .grow input { width: 100%; }`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TeamsPage {
  private readonly api = inject(UsersApi);
  protected readonly session = inject(Session);
  protected readonly P = Permission;
  protected readonly teams = resource({ loader: ({ abortSignal }) => this.api.teams(abortSignal) });
  protected readonly problem = computed(() => resourceProblem(this.teams));
  protected readonly action = new ActionState();
  protected readonly draft = signal({ id: '', name: '', description: '', members: '' });

  protected set(field: 'id' | 'name' | 'description' | 'members', value: string): void {
    this.draft.update((d) => ({ ...d, [field]: value }));
  }

  protected async create(): Promise<void> {
    const d = this.draft();
    const team: Team = { id: d.id.trim(), name: d.name.trim(), description: d.description.trim(), members: parseMembers(d.members) };
    if (await this.action.run(() => this.api.createTeam(team))) {
      this.draft.set({ id: '', name: '', description: '', members: '' });
      this.teams.reload();
    }
  }

  protected async saveMembers(team: Team, text: string): Promise<void> {
    if (await this.action.run(() => this.api.updateTeam(team.id, { members: parseMembers(text) }))) this.teams.reload();
  }

  protected async remove(team: Team): Promise<void> {
    await this.action.run(() => this.api.deleteTeam(team.id));
    if (!this.action.problem()) this.teams.reload();
  }
}
