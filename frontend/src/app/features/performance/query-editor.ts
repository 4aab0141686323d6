import { ChangeDetectionStrategy, Component, ElementRef, computed, inject, input, output, resource, signal, viewChild } from '@angular/core';
import { QUERY_BACKEND } from '../../core/query/query-backend';
import { applyCompletion, candidates, completionContext, suggestionKey } from './completion';

let nextId = 0;

/**
 * The query input with completion of metric and function names, a metric's label
 * names and a label's values, asked of the query backend (the PromQL API's `/labels`
 * and `/label/{name}/values`) once per metric and label, filtered here as one types (a combobox: arrows move, Enter or Tab accepts, Escape
 * closes; Ctrl+Enter runs the query).
 */
@Component({
  selector: 'oe-query-editor',
  template: `
    <div class="editor">
      <label [for]="id">{{ language() === 'promql' ? 'PromQL expression' : 'Series selector' }}</label>
      <input #box [id]="id" class="code" role="combobox" autocomplete="off" spellcheck="false"
             aria-autocomplete="list" [attr.aria-expanded]="open()" [attr.aria-controls]="id + '-list'"
             [attr.aria-activedescendant]="open() ? id + '-opt-' + active() : null"
             [value]="value()" (input)="edited(box.value, box.selectionStart ?? box.value.length)"
             (click)="caretMoved(box.selectionStart ?? 0)" (keydown)="key($event)" (blur)="open.set(false)"
             placeholder='system_cpu_utilization_ratio{cpu="total"}'>
      @if (open() && options().length) {
        <ul class="options" role="listbox" [id]="id + '-list'">
          @for (o of options(); track o; let i = $index) {
            <li role="option" [id]="id + '-opt-' + i" [attr.aria-selected]="i === active()" [class.active]="i === active()"
                (mousedown)="$event.preventDefault(); accept(i)">{{ o }}</li>
          }
        </ul>
      }
    </div>
  `,
  styles: `
    .editor { position: relative; display: flex; flex-direction: column; gap: 0.2rem; flex: 1; min-width: min(100%, 20rem); }
    label { font-size: 0.9rem; color: var(--oe-muted); }
    input { width: 100%; font-family: ui-monospace, monospace; }
    .options { position: absolute; top: 100%; left: 0; right: 0; z-index: 10; max-height: 16rem; overflow: auto; margin: 2px 0 0;
      padding: 0; list-style: none; background: var(--oe-surface); border: 1px solid var(--oe-border); border-radius: 6px; }
    li { padding: 0.3rem 0.5rem; cursor: pointer; font-family: ui-monospace, monospace; font-size: 0.9rem; }
    li.active { background: var(--oe-surface-2); color: var(--oe-accent); }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class QueryEditor {
  private readonly backend = inject(QUERY_BACKEND);
  readonly value = input('');
  readonly valueChange = output<string>();
  readonly run = output<void>();
  protected readonly id = `query-${nextId++}`;
  protected readonly language = signal(this.backend.language);
  protected readonly open = signal(false);
  protected readonly active = signal(0);
  private readonly caret = signal(0);
  private readonly text = signal('');
  private readonly box = viewChild.required<ElementRef<HTMLInputElement>>('box');
  private readonly context = computed(() => completionContext(this.text(), this.caret()));
  // A string: the suggestions are fetched again only when what to complete changes.
  private readonly wanted = computed(() => JSON.stringify(suggestionKey(this.context())));
  private readonly suggestions = resource({
    params: () => (this.open() ? this.wanted() : undefined),
    loader: ({ params, abortSignal }) => this.backend.suggest(JSON.parse(params), abortSignal),
  });
  protected readonly options = computed(() =>
    this.suggestions.hasValue() ? candidates(this.context(), this.suggestions.value()) : []);

  protected edited(text: string, caret: number): void {
    this.text.set(text);
    this.caret.set(caret);
    this.active.set(0);
    this.open.set(true);
    this.valueChange.emit(text);
  }

  protected caretMoved(caret: number): void {
    this.text.set(this.box().nativeElement.value);
    this.caret.set(caret);
  }

  protected key(event: KeyboardEvent): void {
    const n = this.options().length;
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey || !this.open() || !n)) {
      event.preventDefault();
      this.open.set(false);
      this.run.emit();
      return;
    }
    if (event.key === ' ' && event.ctrlKey) {
      event.preventDefault();
      this.caretMoved(this.box().nativeElement.selectionStart ?? 0);
      this.open.set(true);
      return;
    }
    if (!this.open() || !n) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      this.active.set((this.active() + (event.key === 'ArrowDown' ? 1 : n - 1)) % n);
    } else if (event.key === 'Enter' || event.key === 'Tab') {
      event.preventDefault();
      this.accept(this.active());
    } else if (event.key === 'Escape') {
      this.open.set(false);
    }
  }

  protected accept(index: number): void {
    const choice = this.options()[index];
    if (choice === undefined) return;
    const el = this.box().nativeElement;
    const done = applyCompletion(el.value, this.caret(), this.context(), choice);
    el.value = done.text;
    el.setSelectionRange(done.caret, done.caret);
    this.text.set(done.text);
    this.caret.set(done.caret);
    this.active.set(0);
    this.valueChange.emit(done.text);
  }
}
