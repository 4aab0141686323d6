import { autoStepMs, formatDuration, parseDurationMs, rangeFromParams, resolveRange, wallTimeToEpoch, epochToWallTime } from './time-range';

describe('time ranges', () => {
  const now = Date.UTC(2025, 2, 30, 12, 0, 0);

  it('resolves relative and absolute edges', () => {
    expect(resolveRange({ from: 'now-15m', to: 'now', tz: 'UTC' }, now)).toEqual({ startMs: now - 900_000, endMs: now });
    expect(resolveRange({ from: '1000', to: '5000', tz: 'UTC' }, now)).toEqual({ startMs: 1000, endMs: 5000 });
    expect(resolveRange({ from: '5000', to: '1000', tz: 'UTC' }, now)).toEqual({ startMs: 1000, endMs: 5000 });
  });

  it('reads and writes durations', () => {
    expect(parseDurationMs('90s')).toBe(90_000);
    expect(parseDurationMs('7d')).toBe(604_800_000);
    expect(parseDurationMs('soon')).toBeNull();
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(90_000)).toBe('90s');
  });

  it('picks a round step that keeps points under the maximum', () => {
    expect(autoStepMs({ startMs: 0, endMs: 3_600_000 }, 500)).toBe(10_000);
    expect(autoStepMs({ startMs: 0, endMs: 7 * 86_400_000 }, 500)).toBe(1_800_000);
  });

  it('reads wall-clock times in a zone, across a DST change', () => {
    // Berlin: 01:30 is CET (UTC+1); after 02:00 on 30 March 2025 it is CEST (UTC+2).
    expect(wallTimeToEpoch('2025-03-30T01:30', 'Europe/Berlin')).toBe(Date.UTC(2025, 2, 30, 0, 30));
    expect(wallTimeToEpoch('2025-03-30T03:30', 'Europe/Berlin')).toBe(Date.UTC(2025, 2, 30, 1, 30));
    expect(epochToWallTime(Date.UTC(2025, 2, 30, 1, 30), 'Europe/Berlin')).toBe('2025-03-30T03:30');
    expect(wallTimeToEpoch('not a time', 'UTC')).toBeNull();
  });

  it('takes defaults for what the URL lacks', () => {
    expect(rangeFromParams({ from: 'now-6h' })).toEqual({ from: 'now-6h', to: 'now', tz: 'browser' });
  });
});
