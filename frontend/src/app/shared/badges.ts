import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';

/** A coloured label for a severity (SEV1..SEV4, critical/warning/info) or a state. */
@Component({
  selector: 'oe-badge',
  template: `<span class="badge" [attr.data-tone]="tone()">{{ text() }}</span>`,
  styles: `
    .badge { display: inline-block; padding: 0.05rem 0.45rem; border-radius: 999px; font-size: 0.8rem;
      font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
    [data-tone=danger] { color: var(--oe-danger); }
    [data-tone=warn] { color: var(--oe-warn); }
    [data-tone=info] { color: var(--oe-accent); }
    [data-tone=ok] { color: var(--oe-ok); }
    [data-tone=muted] { color: var(--oe-muted); }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Badge {
  readonly text = input.required<string>();
  readonly tone = computed(() => toneOf(this.text()));
}

export function toneOf(text: string): string {
  switch (text.toLowerCase()) {
    case 'sev1': case 'critical': case 'firing': case 'triggered': case 'fail': case 'failed': case 'error':
      return 'danger';
    case 'sev2': case 'warning': case 'pending': case 'acknowledged': case 'retrying': case 'queued':
      return 'warn';
    case 'sev3': case 'info': case 'mitigated': case 'active':
      return 'info';
    case 'resolved': case 'pass': case 'sent': case 'closed': case 'expired': case 'succeeded':
      return 'ok';
    default:
      return 'muted';
  }
}
