import { describe, expect, it } from 'vitest';
import { idListParam, integerParam, parseInstant } from './params.js';

const iso = (text: string) => parseInstant(text)?.toISOString() ?? null;

describe('parseInstant', () => {
  it('reads digits as epoch seconds', () => {
    expect(iso('1580169600')).toBe('2020-01-28T00:00:00.000Z');
    expect(iso('0')).toBe('1970-01-01T00:00:00.000Z');
    // Digits only always mean seconds, even when they look like a year.
    expect(iso('2020')).toBe('1970-01-01T00:33:40.000Z');
  });

  it('reads a date as UTC midnight and refuses days that do not exist', () => {
    expect(iso('2020-01-28')).toBe('2020-01-28T00:00:00.000Z');
    expect(iso('2024-02-29')).toBe('2024-02-29T00:00:00.000Z');
    expect(iso('2023-02-29')).toBeNull();
    expect(iso('2020-13-01')).toBeNull();
  });

  it('reads date-times with Z, offsets (also "+" turned into a space), or no zone as UTC', () => {
    expect(iso('2020-01-28T13:00:00Z')).toBe('2020-01-28T13:00:00.000Z');
    expect(iso('2020-01-28T13:00:00.250Z')).toBe('2020-01-28T13:00:00.250Z');
    expect(iso('2020-01-28T13:00:00+02:00')).toBe('2020-01-28T11:00:00.000Z');
    expect(iso('2020-01-28T13:00:00 02:00')).toBe('2020-01-28T11:00:00.000Z');
    expect(iso('2020-01-28T13:00:00-0530')).toBe('2020-01-28T18:30:00.000Z');
    expect(iso('2020-01-28T13:00+01')).toBe('2020-01-28T12:00:00.000Z');
    expect(iso('2020-01-28 13:00:00')).toBe('2020-01-28T13:00:00.000Z');
    expect(iso('2020-02-30T13:00:00Z')).toBeNull();
    expect(iso('2020-01-28T25:00:00Z')).toBeNull();
  });

  it('refuses everything else', () => {
    for (const text of ['', 'now', 'yesterday', '2020-01', '1.5', '-5', '28/01/2020', 'Tue, 28 Jan 2020']) {
      expect(iso(text), text).toBeNull();
    }
    expect(iso('9'.repeat(13))).toBeNull();
  });
});

describe('query parameter schemas', () => {
  it('integerParam takes digit strings within bounds only', () => {
    const page = integerParam('a page', { min: 1 });
    expect(page.parse('3')).toBe(3);
    for (const bad of ['0', '1.5', 'abc', '', '1e3']) expect(page.safeParse(bad).success, bad).toBe(false);
  });

  it('idListParam takes repeated values and comma lists', () => {
    const ids = idListParam('ids');
    expect(ids.parse('1,2, 3')).toEqual([1, 2, 3]);
    expect(ids.parse(['4', '5,6'])).toEqual([4, 5, 6]);
    expect(ids.safeParse('1,x').success).toBe(false);
    expect(ids.safeParse('').success).toBe(false);
  });
});
