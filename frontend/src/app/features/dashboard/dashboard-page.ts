import { CdkDrag, CdkDragDrop, CdkDragHandle, CdkDropList } from '@angular/cdk/drag-drop';
import { ChangeDetectionStrategy, Component, computed, effect, inject, signal } from '@angular/core';
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

export const LAYOUT_PREF = 'dashboard.layout';

/**
 * The bento grid of live tiles. "Arrange" lets the user drag tiles (or move them with
 * the buttons, for the keyboard), make them wider/taller, add and remove them; the
 * layout is kept per user (UserPreferences: this browser, until the API stores it).
 */
@Component({
  selector: 'oe-dashboard-page',
  imports: [CdkDropList, CdkDrag, CdkDragHandle, AlertsTile, ComplianceTile, CpuTile, HostsTile, IncidentsTile, OnCallTile, ResponseTile, SeriesTile],
  templateUrl: './dashboard-page.html',
  styleUrl: './dashboard-page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DashboardPage {
  private readonly prefs = inject(UserPreferences);
  protected readonly session = inject(Session);
  protected readonly tiles = signal<Tile[]>(this.prefs.read(LAYOUT_PREF, isLayout) ?? [...DEFAULT_LAYOUT]);
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
    effect(() => this.prefs.write(LAYOUT_PREF, this.tiles()));
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
