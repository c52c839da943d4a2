import { describe, expect, it } from 'vitest';
import { dueByNow, parseDuration, parseMix, perSecond } from './rate.js';

describe('rates', () => {
  it('counts per second over a span in milliseconds', () => {
    expect(perSecond(1000, 500)).toBe(2000);
    expect(perSecond(5, 0)).toBe(0);
    expect(perSecond(0, 1000)).toBe(0);
  });

  it('paces a publisher without drift and caps at the total', () => {
    expect(dueByNow(500, 1000)).toBe(500);
    expect(dueByNow(500, 1999)).toBe(999);
    expect(dueByNow(500, 10_000, 1200)).toBe(1200);
    expect(dueByNow(0, 1000)).toBe(0);
  });
});

describe('flag parsing', () => {
  it('reads durations', () => {
    expect(parseDuration('60s')).toBe(60_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('90')).toBe(90_000);
    expect(() => parseDuration('soon')).toThrow();
  });

  it('normalises a mix', () => {
    expect(parseMix('raw:90,json:10')).toEqual({ raw: 0.9, json: 0.1 });
    expect(parseMix('json:1')).toEqual({ raw: 0, json: 1 });
    expect(() => parseMix('raw:0')).toThrow();
    expect(() => parseMix('xml:5')).toThrow();
  });
});
