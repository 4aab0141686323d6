import { ChangeDetectionStrategy, Component, input, output, signal } from '@angular/core';

/**
 * A secret the API shows once (an API key, an invitation token): shown with a copy
 * button and the warning that it cannot be shown again; dismissed by the user.
 */
@Component({
  selector: 'oe-secret-once',
  template: `
    <div class="secret card" role="status">
      <strong>{{ label() }}</strong>
      <p class="muted">Shown once: copy it now, it cannot be shown again.</p>
      <code class="value">{{ secret() }}</code>
      <div class="row">
        <button type="button" (click)="copy()">{{ copied() ? 'Copied' : 'Copy' }}</button>
        <button type="button" (click)="dismissed.emit()">I have copied it</button>
      </div>
    </div>
  `,
  styles: `
    .secret { border-color: var(--oe-accent); margin: 0.5rem 0; }
    .value { display: block; word-break: break-all; padding: 0.4rem; background: var(--oe-surface-2); border-radius: 4px; }
    .row { display: flex; gap: 0.5rem; margin-top: 0.5rem; }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SecretOnce {
  readonly label = input.required<string>();
  readonly secret = input.required<string>();
  readonly dismissed = output<void>();
  protected readonly copied = signal(false);

  protected async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.secret());
      this.copied.set(true);
    } catch {
      this.copied.set(false); // no clipboard (insecure origin): the text is selectable
    }
  }
}
