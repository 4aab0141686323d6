import { CdkDrag, CdkDragDrop, CdkDragHandle, CdkDropList } from '@angular/cdk/drag-drop';
import { ChangeDetectionStrategy, Component, DestroyRef, computed, effect, inject, signal } from '@angular/core';
import { Problem, toProblem } from '../../core/api/problem';
import { Session } from '../../core/auth/session';
import { UserPreferences } from '../../core/prefs/user-preferences';
import {
  DEFAULT_LAYOUT, MAX_H, MAX_W, TILE_KINDS, TILE_TITLES, Tile, TileKind, addTile, isLayout, moveTile, removeTile, resizeTile,
} from './layout';
import { AlertsTile } from './tiles/alerts-tile';
import { ComplianceTile } from './tiles/compliance-tile';
import { OnCallTile } from './tiles/oncall-tile';
import { CpuTile } from './tiles/cpu-tile';
import { HostsTile } from './tiles/hosts-tile';
import { IncidentsTile } from './tiles/incidents-tile';
import { ResponseTile } from './tiles/response-tile';
import { SeriesTile } from './tiles/series-tile';
import { ProblemBanner } from '../../shared/problem-banner';

/** Where earlier releases kept the layout in this browser; moved to the API once. */
export const LAYOUT_PREF = 'dashboard.layout';

/**
 * The bento grid of live tiles. "Arrange" lets the user drag tiles (or move them with
 * the buttons, for the keyboard), make them wider/taller, add and remove them; the
 * layout is the user's, kept by the API (UserPreferences: `/api/v1/me/preferences`),
 * loaded when the page opens and saved as it changes (debounced). A layout this
 * browser kept before the API did is moved there once.
 */
@Component({
  selector: 'oe-dashboard-page',
  imports: [CdkDropList, CdkDrag, CdkDragHandle, ProblemBanner, AlertsTile, ComplianceTile, CpuTile, HostsTile, IncidentsTile, OnCallTile, ResponseTile, SeriesTile],
  templateUrl: './dashboard-page.html',
  styleUrl: './dashboard-page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DashboardPage {
  protected readonly prefs = inject(UserPreferences);
  protected readonly session = inject(Session);
  protected readonly tiles = signal<Tile[]>([...DEFAULT_LAYOUT]);
  /** The stored layout has been read (or could not be): changes are saved from then on. */
  protected readonly ready = signal(false);
  protected readonly loadProblem = signal<Problem | null>(null);
  private lastSaved = '';
  protected readonly arranging = signal(false);
  protected readonly titles = TILE_TITLES;
  protected readonly maxW = MAX_W;
  protected readonly maxH = MAX_H;
  protected readonly announcement = signal('');
  protected readonly addable = computed(() => {
    const present = new Set(this.tiles().map((t) => t.kind));
    return TILE_KINDS.filter((k) => !present.has(k));
  });

  constructor() {
    void this.load();
    effect(() => {
      const tiles = this.tiles();
      if (!this.ready()) return;
      const text = JSON.stringify(tiles);
      if (text === this.lastSaved) return;
      this.lastSaved = text;
      this.prefs.save({ dashboard_layout: tiles });
    });
    inject(DestroyRef).onDestroy(() => void this.prefs.flush());
  }

  private async load(): Promise<void> {
    try {
      const stored = (await this.prefs.load()).dashboard_layout;
      const layout = isLayout(stored) ? stored : null;
      this.lastSaved = JSON.stringify(layout ?? DEFAULT_LAYOUT);
      const local = stored === null ? this.prefs.read(LAYOUT_PREF, isLayout) : null;
      this.prefs.remove(LAYOUT_PREF);
      const chosen = layout ?? local;
      if (chosen) this.tiles.set(chosen);
    } catch (err) {
      this.lastSaved = JSON.stringify(this.tiles());
      this.loadProblem.set(toProblem(err));
    } finally {
      this.ready.set(true);
    }
  }

  protected drop(event: CdkDragDrop<Tile[]>): void {
    this.tiles.update((t) => moveTile(t, event.previousIndex, event.currentIndex));
  }

  protected move(index: number, by: number): void {
    const tile = this.tiles()[index];
    this.tiles.update((t) => moveTile(t, index, index + by));
    this.announcement.set(`${TILE_TITLES[tile.kind]} moved to position ${Math.min(Math.max(index + by, 0), this.tiles().length - 1) + 1}`);
  }

  protected resize(tile: Tile, dw: number, dh: number): void {
    this.tiles.update((t) => resizeTile(t, tile.id, dw, dh));
  }

  protected remove(tile: Tile): void {
    this.tiles.update((t) => removeTile(t, tile.id));
    this.announcement.set(`${TILE_TITLES[tile.kind]} removed`);
  }

  protected add(kind: string): void {
    if (!kind) return;
    this.tiles.update((t) => addTile(t, kind as TileKind));
    this.announcement.set(`${TILE_TITLES[kind as TileKind]} added`);
  }

  protected reset(): void {
    this.tiles.set([...DEFAULT_LAYOUT]);
  }
}
