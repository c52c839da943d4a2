import { describe, expect, it } from 'vitest';
import { ApiError } from '../common/api-error.js';
import { bucketsInRange, checkBucketLimit, finestRollupWithin } from './bucket-limit.js';

const at = (iso: string) => new Date(iso);

describe('bucketsInRange', () => {
  it('counts the buckets a range touches, one more when it starts mid-bucket', () => {
    expect(
      bucketsInRange(at('2024-01-01T00:00:00Z'), at('2024-01-02T00:00:00Z'), { count: 1, unit: 'h' }),
    ).toBe(25);
    expect(
      bucketsInRange(at('2024-01-01T00:00:00Z'), at('2024-01-01T00:00:10Z'), { count: 1, unit: 's' }),
    ).toBe(11);
    expect(
      bucketsInRange(at('2023-11-15T00:00:00Z'), at('2024-02-01T00:00:00Z'), { count: 1, unit: 'M' }),
    ).toBe(4);
    expect(
      bucketsInRange(at('2020-06-01T00:00:00Z'), at('2024-02-01T00:00:00Z'), { count: 1, unit: 'y' }),
    ).toBe(5);
    expect(
      bucketsInRange(at('2020-06-01T00:00:00Z'), at('2024-02-01T00:00:00Z'), { count: 2, unit: 'y' }),
    ).toBe(3);
  });

  it('sees the cost of a fine rollup over a long range', () => {
    expect(bucketsInRange(new Date(0), new Date(999_999_999_999), { count: 1, unit: 's' })).toBe(
      1_000_000_001,
    );
  });
});

describe('checkBucketLimit', () => {
  it('lets a range within the limit through', () => {
    expect(() =>
      checkBucketLimit(at('2024-01-01'), at('2024-01-07'), { count: 1, unit: 'm', text: '1m' }, 10_000),
    ).not.toThrow();
  });

  it('refuses more buckets with a 400 naming the limit and the finest rollup that fits', () => {
    const from = new Date(0);
    const to = new Date(999_999_999_999);
    let error: unknown;
    try {
      checkBucketLimit(from, to, { count: 1, unit: 's', text: '1s' }, 10_000);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.status).toBe(400);
    expect(apiError.message).toContain('at most 10000');
    const suggested = finestRollupWithin(from, to, 10_000);
    expect(apiError.message).toContain(`rollup=${suggested}`);
    expect(suggested).toBe('2d');
    const [, count, unit] = /^(\d+)(\w)$/.exec(suggested)!;
    expect(bucketsInRange(from, to, { count: Number(count), unit: unit as 'h' })).toBeLessThanOrEqual(10_000);
    expect(bucketsInRange(from, to, { count: Number(count) - 1, unit: unit as 'h' })).toBeGreaterThan(10_000);
  });

  it('suggests seconds or minutes for short ranges', () => {
    expect(finestRollupWithin(at('2024-01-01T00:00:00Z'), at('2024-01-02T00:00:00Z'), 10_000)).toBe('9s');
    expect(finestRollupWithin(at('2024-01-01'), at('2024-03-01'), 10_000)).toBe('9m');
  });
});
