/**
 * The dashboard's bento layout: an ordered list of tiles, each a kind of tile with a
 * width (columns of the grid) and a height (rows). Pure functions, so the page's
 * arrange/resize/add/remove are easy to test and the stored layout is checked on load.
 */

export const TILE_KINDS = ['incidents', 'alerts', 'response', 'cpu', 'hosts', 'series', 'compliance', 'oncall'] as const;
export type TileKind = (typeof TILE_KINDS)[number];

export interface Tile {
  id: string;
  kind: TileKind;
  w: number;
  h: number;
}

export const MAX_W = 4;
export const MAX_H = 3;

export const TILE_TITLES: Record<TileKind, string> = {
  incidents: 'Open incidents by severity',
  alerts: 'Firing alerts',
  response: 'MTTA and MTTR, last 7 days',
  cpu: 'CPU of this host',
  hosts: 'Hosts at a glance',
  series: 'Series activity',
  compliance: 'Compliance score',
  oncall: 'On call now',
};

export const DEFAULT_LAYOUT: readonly Tile[] = [
  { id: 'incidents', kind: 'incidents', w: 1, h: 1 },
  { id: 'alerts', kind: 'alerts', w: 1, h: 1 },
  { id: 'response', kind: 'response', w: 1, h: 1 },
  { id: 'compliance', kind: 'compliance', w: 1, h: 1 },
  { id: 'cpu', kind: 'cpu', w: 2, h: 2 },
  { id: 'hosts', kind: 'hosts', w: 2, h: 1 },
  { id: 'series', kind: 'series', w: 2, h: 1 },
  { id: 'oncall', kind: 'oncall', w: 2, h: 1 },
];

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.round(n)));
}

/** A stored layout, if it is one (unknown kinds and bad sizes make it invalid). */
export function isLayout(value: unknown): value is Tile[] {
  if (!Array.isArray(value)) return false;
  const ids = new Set<string>();
  return value.every((t) => {
    const ok = typeof t === 'object' && t !== null && typeof t.id === 'string' && !ids.has(t.id)
      && (TILE_KINDS as readonly string[]).includes(t.kind)
      && Number.isInteger(t.w) && t.w >= 1 && t.w <= MAX_W && Number.isInteger(t.h) && t.h >= 1 && t.h <= MAX_H;
    if (ok) ids.add(t.id);
    return ok;
  });
}

export function moveTile(tiles: readonly Tile[], from: number, to: number): Tile[] {
  const out = [...tiles];
  if (from < 0 || from >= out.length) return out;
  const [tile] = out.splice(from, 1);
  out.splice(clamp(to, 0, out.length), 0, tile);
  return out;
}

export function resizeTile(tiles: readonly Tile[], id: string, dw: number, dh: number): Tile[] {
  return tiles.map((t) => (t.id === id ? { ...t, w: clamp(t.w + dw, 1, MAX_W), h: clamp(t.h + dh, 1, MAX_H) } : t));
}

export function removeTile(tiles: readonly Tile[], id: string): Tile[] {
  return tiles.filter((t) => t.id !== id);
}

/** A new tile of `kind` at the end, with an id no other tile has. */
export function addTile(tiles: readonly Tile[], kind: TileKind): Tile[] {
  const ids = new Set(tiles.map((t) => t.id));
  let id: string = kind;
  for (let n = 2; ids.has(id); n++) id = `${kind}-${n}`;
  const size = DEFAULT_LAYOUT.find((t) => t.kind === kind) ?? { w: 1, h: 1 };
  return [...tiles, { id, kind, w: size.w, h: size.h }];
}
