import { describe, expect, it } from 'vitest';
import { isoSeconds } from './time.js';

describe('isoSeconds', () => {
  it('prints UTC to the second, dropping milliseconds', () => {
    expect(isoSeconds(new Date('2023-06-12T02:57:08.999Z'))).toBe('2023-06-12T02:57:08Z');
    expect(isoSeconds(new Date('2024-02-29T23:59:59.500Z'))).toBe('2024-02-29T23:59:59Z');
    expect(isoSeconds(new Date(0))).toBe('1970-01-01T00:00:00Z');
  });

  it('agrees with toISOString over a year of hours', () => {
    for (let at = Date.UTC(2023, 11, 31, 12); at < Date.UTC(2025, 0, 1); at += 3_600_000 + 1_234) {
      const date = new Date(at);
      expect(isoSeconds(date)).toBe(date.toISOString().slice(0, 19) + 'Z');
    }
  });

  it('prints years outside 1000–9999 in their ISO form, still without milliseconds', () => {
    expect(isoSeconds(new Date('+010000-01-01T00:00:00.500Z'))).toBe('+010000-01-01T00:00:00Z');
    expect(isoSeconds(new Date('0999-03-04T05:06:07.000Z'))).toBe('0999-03-04T05:06:07Z');
  });

  it('keeps null', () => {
    expect(isoSeconds(null)).toBeNull();
  });
});
