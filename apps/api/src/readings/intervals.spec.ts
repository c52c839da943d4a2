import { describe, expect, it } from 'vitest';
import { bucketStart, countIntervals, fillIntervals } from './intervals.js';

const at = (iso: string) => new Date(iso);

describe('bucketStart', () => {
  it('bins fixed units from a Monday origin, months and years by calendar', () => {
    expect(
      new Date(bucketStart(Date.parse('2024-05-15T10:37:12Z'), { count: 10, unit: 'm' })).toISOString(),
    ).toBe('2024-05-15T10:30:00.000Z');
    expect(
      new Date(bucketStart(Date.parse('2024-05-15T10:37:12Z'), { count: 1, unit: 'w' })).toISOString(),
    ).toBe('2024-05-13T00:00:00.000Z');
    expect(
      new Date(bucketStart(Date.parse('2024-05-15T10:37:12Z'), { count: 3, unit: 'M' })).toISOString(),
    ).toBe('2024-04-01T00:00:00.000Z');
    expect(
      new Date(bucketStart(Date.parse('2024-05-15T10:37:12Z'), { count: 1, unit: 'y' })).toISOString(),
    ).toBe('2024-01-01T00:00:00.000Z');
    expect(
      new Date(bucketStart(Date.parse('2024-05-15T10:37:12.345Z'), { count: 100, unit: 'ms' })).toISOString(),
    ).toBe('2024-05-15T10:37:12.300Z');
  });
});

describe('fillIntervals', () => {
  it('gives every interval of [from, to), newest first, null where nothing was read', () => {
    const filled = fillIntervals(
      [{ at: at('2024-01-01T01:00:00Z'), value: 2 }],
      at('2024-01-01T00:20:00Z'),
      at('2024-01-01T02:00:00Z'),
      { count: 1, unit: 'h' },
    );
    expect(filled.map((b) => [b.at.toISOString(), b.value])).toEqual([
      ['2024-01-01T01:00:00.000Z', 2],
      ['2024-01-01T00:00:00.000Z', null],
    ]);
  });

  it('steps by calendar months', () => {
    const filled = fillIntervals([], at('2024-01-31T00:00:00Z'), at('2024-04-01T00:00:00Z'), {
      count: 1,
      unit: 'M',
    });
    expect(filled.map((b) => b.at.toISOString().slice(0, 10))).toEqual([
      '2024-03-01',
      '2024-02-01',
      '2024-01-01',
    ]);
  });
});

describe('countIntervals', () => {
  it('counts fixed and calendar buckets', () => {
    expect(
      countIntervals(at('2024-01-01T00:05:00Z'), at('2024-01-02T00:00:00Z'), { count: 10, unit: 'm' }, 1e6),
    ).toBe(144);
    expect(
      countIntervals(at('2020-01-01T00:00:00Z'), at('2024-01-01T00:00:00Z'), { count: 1, unit: 'M' }, 1e6),
    ).toBe(48);
  });
});
