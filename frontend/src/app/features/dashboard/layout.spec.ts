import { DEFAULT_LAYOUT, MAX_W, addTile, isLayout, moveTile, removeTile, resizeTile } from './layout';

describe('dashboard layout', () => {
  it('moves, resizes within bounds, adds with fresh ids and removes', () => {
    const moved = moveTile(DEFAULT_LAYOUT, 0, 2);
    expect(moved.map((t) => t.id).slice(0, 3)).toEqual(['alerts', 'response', 'incidents']);
    expect(moveTile(DEFAULT_LAYOUT, 0, 99).at(-1)!.id).toBe('incidents');
    const wide = resizeTile(DEFAULT_LAYOUT, 'alerts', 10, -5).find((t) => t.id === 'alerts')!;
    expect([wide.w, wide.h]).toEqual([MAX_W, 1]);
    const added = addTile(DEFAULT_LAYOUT, 'cpu');
    expect(added.at(-1)).toEqual({ id: 'cpu-2', kind: 'cpu', w: 2, h: 2 });
    expect(removeTile(added, 'cpu').some((t) => t.id === 'cpu')).toBe(false);
  });

  it('accepts only well-formed stored layouts', () => {
    expect(isLayout([...DEFAULT_LAYOUT])).toBe(true);
    expect(isLayout([{ id: 'x', kind: 'nope', w: 1, h: 1 }])).toBe(false);
    expect(isLayout([{ id: 'x', kind: 'cpu', w: 9, h: 1 }])).toBe(false);
    expect(isLayout([{ id: 'x', kind: 'cpu', w: 1, h: 1 }, { id: 'x', kind: 'alerts', w: 1, h: 1 }])).toBe(false);
    expect(isLayout('[]')).toBe(false);
  });
});
