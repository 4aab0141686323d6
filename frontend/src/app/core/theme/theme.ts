import { Injectable, computed, effect, signal } from '@angular/core';

export type ThemeChoice = 'light' | 'dark' | 'system';
const STORAGE_KEY = 'oe.theme';

/** Light or dark, chosen by the user or following the system; applied as
 * `data-theme` on <html>, which styles.css keys its colour variables on. */
@Injectable({ providedIn: 'root' })
export class Theme {
  readonly choice = signal<ThemeChoice>(readChoice());
  private readonly systemDark = signal(matchMedia('(prefers-color-scheme: dark)').matches);
  readonly effective = computed<'light' | 'dark'>(() => {
    const c = this.choice();
    return c === 'system' ? (this.systemDark() ? 'dark' : 'light') : c;
  });

  constructor() {
    matchMedia('(prefers-color-scheme: dark)').addEventListener?.('change', (e) => this.systemDark.set(e.matches));
    effect(() => {
      document.documentElement.dataset['theme'] = this.effective();
      localStorage.setItem(STORAGE_KEY, this.choice());
    });
  }

  toggle(): void {
    this.choice.set(this.effective() === 'dark' ? 'light' : 'dark');
  }
}

function readChoice(): ThemeChoice {
  const stored = localStorage.getItem(STORAGE_KEY);
  return stored === 'light' || stored === 'dark' || stored === 'system' ? stored : 'system';
}

function matchMedia(query: string): MediaQueryList {
  return typeof window.matchMedia === 'function'
    ? window.matchMedia(query)
    : ({ matches: false, addEventListener: undefined } as unknown as MediaQueryList);
}
