import { describe, expect, it } from 'vitest';
import { geohash } from './geohash.js';

describe('geohash', () => {
  it('matches published reference hashes', () => {
    // The examples of Wikipedia's "Geohash" article and of geohash.org.
    expect(geohash(42.605, -5.603, 5)).toBe('ezs42');
    expect(geohash(57.64911, 10.40744, 11)).toBe('u4pruydqqvj');
  });

  it('handles the edges of the map', () => {
    expect(geohash(90, 180, 4)).toBe('zzzz');
    expect(geohash(-90, -180, 4)).toBe('0000');
  });
});
