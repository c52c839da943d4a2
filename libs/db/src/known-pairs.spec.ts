import { describe, expect, it } from 'vitest';
import { KnownPairs } from './known-pairs.js';

const r = (deviceId: number, sensorId: number, recordedAt = 0) => ({ deviceId, sensorId, recordedAt });

describe('KnownPairs', () => {
  it('returns each pair of a sorted batch once until it is remembered', () => {
    const known = new KnownPairs();
    const batch = [r(1, 10, 1), r(1, 10, 2), r(1, 55), r(2, 10), r(2, 10, 5)];
    const first = known.unknownIn(batch);
    expect(first.map((p) => [p.deviceId, p.sensorId])).toEqual([
      [1, 10],
      [1, 55],
      [2, 10],
    ]);
    expect(known.unknownIn(batch)).toHaveLength(3);
    known.remember(first);
    expect(known.unknownIn(batch)).toEqual([]);
    expect(known.unknownIn([r(1, 10), r(1, 56), r(3, 10)]).map((p) => [p.deviceId, p.sensorId])).toEqual([
      [1, 56],
      [3, 10],
    ]);
  });

  it('keeps pairs of different devices and sensors apart', () => {
    const known = new KnownPairs();
    known.remember([r(1, 2)]);
    expect(known.unknownIn([r(2, 1)])).toHaveLength(1);
    expect(known.unknownIn([r(0, 65_538)])).toHaveLength(1);
  });

  it('never remembers ids it cannot key exactly', () => {
    const known = new KnownPairs();
    const odd = [r(1, 70_000), r(2 ** 40, 1), r(-1, 3)];
    known.remember(odd);
    expect(known.unknownIn(odd)).toHaveLength(3);
    expect(known.size).toBe(0);
  });

  it('starts over past its capacity', () => {
    const known = new KnownPairs(3);
    known.remember([r(1, 1), r(1, 2), r(1, 3)]);
    expect(known.size).toBe(3);
    known.remember([r(2, 1)]);
    expect(known.size).toBe(1);
    expect(known.unknownIn([r(1, 1), r(2, 1)]).map((p) => p.deviceId)).toEqual([1]);
  });
});
