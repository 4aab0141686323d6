import { ChangeDetectionStrategy, Component, computed, inject, resource, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { Permission } from '../../core/auth/me';
import { Session } from '../../core/auth/session';
import { Receiver, RoutingApi, TestSend, channelTypes, receiverDocument } from '../../core/model/routing';
import { ActionState, resourceProblem } from '../../shared/action';
import { Badge } from '../../shared/badges';
import { ProblemBanner } from '../../shared/problem-banner';
import { SettingsNav } from './settings-nav';
import { when } from './when';

const EXAMPLE_RECEIVER = `{
  "name": "db-pager",
  "webhook_configs": [{"url": "https://hooks.example.com/observer"}]
}`;

/** A JSON object as typed (the API validates it and names the field). */
export function parseObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`The ${what} is not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`The ${what} must be a JSON object.`);
  return value as Record<string, unknown>;
}

/** Notification routing (ADR 0018): receivers with "send test" (a real notification
 * through the one delivery path), and the routing tree; admins edit both as JSON in
 * Alertmanager's shape, naming the version they read (a stale write is 409). */
@Component({
  selector: 'oe-routing-page',
  imports: [FormsModule, ProblemBanner, Badge, SettingsNav],
  template: `
    <h1>Settings</h1>
    <oe-settings-nav />
    <h2>Receivers</h2>
    <oe-problem [problem]="receiversProblem()" />
    <oe-problem [problem]="action.problem()" />
    @if (sent(); as s) {
      <div class="card" role="status">
        Test sent to <strong>{{ s.name }}</strong>:
        @for (d of s.sends; track d.key) { <span><oe-badge [text]="d.type" /> {{ d.channel }}: {{ d.status }}</span> }
        @empty { no channel. }
        <span class="muted">(Settings → Notifications shows whether each arrived.)</span>
      </div>
    }
    <div class="table-wrap" tabindex="0">
      <table>
        <thead><tr><th scope="col">Receiver</th><th scope="col">Channels</th><th scope="col">Changed</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          @for (r of receivers.hasValue() ? receivers.value() : []; track r.name) {
            <tr>
              <td><strong>{{ r.name }}</strong><span class="muted"> · v{{ r.version }}</span></td>
              <td>@for (t of types(r); track t) { <oe-badge [text]="t" /> } @empty { <span class="muted">none</span> }
                @if (r.has_secret) { <span class="muted">(secrets stored encrypted)</span> }</td>
              <td>{{ r.updated_by }}, {{ when(r.updated_at_ms) }}</td>
              <td class="row">
                @if (session.can(P.manageRouting)) {
                  <button type="button" (click)="test(r)" [disabled]="action.busy()" [attr.aria-label]="'Send test to ' + r.name">Send test</button>
                  <button type="button" (click)="edit(r)" [attr.aria-label]="'Edit ' + r.name">Edit</button>
                  <button type="button" class="danger" (click)="remove(r)" [disabled]="action.busy()" [attr.aria-label]="'Remove ' + r.name">Remove</button>
                }
              </td>
            </tr>
          } @empty {
            @if (!receivers.isLoading()) { <tr><td colspan="4" class="muted">No receivers.</td></tr> }
          }
        </tbody>
      </table>
    </div>
    @if (session.can(P.manageRouting)) {
      <section class="card">
        <h3>{{ editing() ? 'Edit ' + editing()!.name + ' (version ' + editing()!.version + ')' : 'New receiver' }}</h3>
        <form (ngSubmit)="saveReceiver()" aria-label="Receiver editor">
          <label>Receiver (JSON, Alertmanager's shape; a secret left as "&lt;redacted&gt;" keeps the stored one)
            <textarea class="code" name="receiver" rows="7" [ngModel]="receiverText()" (ngModelChange)="receiverText.set($event)"></textarea>
          </label>
          <div class="row">
            <button class="primary" type="submit" [disabled]="action.busy()">{{ editing() ? 'Save' : 'Add receiver' }}</button>
            @if (editing()) { <button type="button" (click)="startNew()">Cancel</button> }
          </div>
        </form>
      </section>
    }
    <h2>Routing tree</h2>
    <oe-problem [problem]="treeProblem()" />
    @if (tree.hasValue()) {
      <p class="muted">Version {{ tree.value().version }}, changed by {{ tree.value().updated_by }} {{ when(tree.value().updated_at_ms) }}.</p>
      @if (session.can(P.manageRouting)) {
        <form (ngSubmit)="saveTree()" aria-label="Routing tree editor">
          <label>Root route (JSON)
            <textarea class="code" name="tree" rows="12" [ngModel]="treeText()" (ngModelChange)="treeText.set($event)"></textarea>
          </label>
          <button class="primary" type="submit" [disabled]="action.busy()">Save the tree</button>
        </form>
      } @else {
        <pre>{{ treeText() }}</pre>
      }
    }
  `,
  styles: `textarea { width: 100%; font-family: ui-monospace, monospace; } form > label { width: 100%; } section, h2 { margin-top: 0.75rem; }
    [role=status] { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; margin-bottom: 0.5rem; }`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RoutingPage {
  private readonly api = inject(RoutingApi);
  protected readonly session = inject(Session);
  protected readonly P = Permission;
  protected readonly when = when;
  protected readonly types = channelTypes;
  protected readonly receivers = resource({ loader: ({ abortSignal }) => this.api.receivers(abortSignal) });
  protected readonly receiversProblem = computed(() => resourceProblem(this.receivers));
  protected readonly tree = resource({
    loader: async ({ abortSignal }) => {
      const tree = await this.api.tree(abortSignal);
      this.treeText.set(JSON.stringify(tree.route, null, 2));
      return tree;
    },
  });
  protected readonly treeProblem = computed(() => resourceProblem(this.tree));
  protected readonly action = new ActionState();
  protected readonly editing = signal<Receiver | null>(null);
  protected readonly receiverText = signal(EXAMPLE_RECEIVER);
  protected readonly treeText = signal('');
  protected readonly sent = signal<{ name: string; sends: TestSend[] } | null>(null);

  protected edit(r: Receiver): void {
    this.editing.set(r);
    this.receiverText.set(JSON.stringify(receiverDocument(r), null, 2));
  }

  protected startNew(): void {
    this.editing.set(null);
    this.receiverText.set(EXAMPLE_RECEIVER);
  }

  protected async saveReceiver(): Promise<void> {
    const editing = this.editing();
    const saved = await this.action.run(() => {
      const doc = parseObject(this.receiverText(), 'receiver');
      return editing ? this.api.replaceReceiver(editing.name, editing.version, doc) : this.api.createReceiver(doc);
    });
    if (saved) {
      this.startNew();
      this.receivers.reload();
    }
  }

  protected async remove(r: Receiver): Promise<void> {
    await this.action.run(() => this.api.deleteReceiver(r.name, r.version));
    if (!this.action.problem()) this.receivers.reload();
  }

  protected async test(r: Receiver): Promise<void> {
    this.sent.set(null);
    const sends = await this.action.run(() => this.api.testReceiver(r.name));
    if (sends) this.sent.set({ name: r.name, sends });
  }

  protected async saveTree(): Promise<void> {
    const current = this.tree.hasValue() ? this.tree.value() : null;
    if (!current) return;
    const saved = await this.action.run(() => this.api.replaceTree(parseObject(this.treeText(), 'route'), current.version));
    if (saved) this.tree.reload();
  }
}
