import type { RollupUnit } from '#db';
import { ApiError } from '../common/api-error.js';
import { isoSeconds } from '#presenters';

export interface Rollup {
  count: number;
  unit: RollupUnit;
}

const UNIT_MS: Record<Exclude<RollupUnit, 'y' | 'M'>, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** Finest first, with the count at which the next unit reads better (60 s are a minute). */
const FIXED_UNITS = [
  ['s', 60],
  ['m', 60],
  ['h', 24],
  ['d', 7],
  ['w', Infinity],
] as const;

function monthIndex(at: Date): number {
  return at.getUTCFullYear() * 12 + at.getUTCMonth();
}

/**
 * How many buckets of `every` the range [from, to) touches at most: the span in whole buckets plus
 * one for a range that does not start on a bucket boundary. Counted from the range, not from the
 * stored readings: it is what the request may cost, known before any query.
 */
export function bucketsInRange(from: Date, to: Date, every: Rollup): number {
  switch (every.unit) {
    case 'y':
      return (
        Math.floor(to.getUTCFullYear() / every.count) - Math.floor(from.getUTCFullYear() / every.count) + 1
      );
    case 'M':
      return Math.floor(monthIndex(to) / every.count) - Math.floor(monthIndex(from) / every.count) + 1;
    case 'w':
    case 'd':
    case 'h':
    case 'm':
    case 's':
    case 'ms':
      return Math.ceil((to.getTime() - from.getTime()) / (every.count * UNIT_MS[every.unit])) + 1;
  }
}

/** The finest rollup whose buckets over [from, to) stay within `max` (as text, e.g. "27h"). */
export function finestRollupWithin(from: Date, to: Date, max: number): string {
  const span = to.getTime() - from.getTime();
  const countOf = (unit: keyof typeof UNIT_MS) => Math.max(1, Math.ceil(span / ((max - 1) * UNIT_MS[unit])));
  const [unit] = FIXED_UNITS.find(([u, next]) => countOf(u) < next) ?? FIXED_UNITS[4];
  return `${countOf(unit)}${unit}`;
}

/** 400 when the request asks for more than `max` buckets, naming the limit and a rollup that fits. */
export function checkBucketLimit(from: Date, to: Date, every: Rollup & { text: string }, max: number): void {
  const buckets = bucketsInRange(from, to, every);
  if (buckets <= max) return;
  throw ApiError.badRequest(
    `rollup=${every.text} from ${isoSeconds(from)} to ${isoSeconds(to)} makes up to ${buckets} buckets; ` +
      `at most ${max} are served per request: use rollup=${finestRollupWithin(from, to, max)} or coarser, or a shorter range`,
    { rollup: [`at most ${max} buckets per request`], max_buckets: max },
  );
}
