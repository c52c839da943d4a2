import { ROLLUP_SECONDS, type RollupUnit } from '#db';

export interface Rollup {
  count: number;
  unit: RollupUnit;
}

/** Weeks start on Mondays: 2000-01-03 was one (the origin the rollup SQL bins from). */
const ORIGIN_MS = Date.UTC(2000, 0, 3);

/** Length of a fixed-size rollup in ms; null for months and years. */
export function rollupMs({ count, unit }: Rollup): number | null {
  return unit === 'M' || unit === 'y' ? null : count * ROLLUP_SECONDS[unit] * 1000;
}

/** The start of the bucket `at` falls in, as the rollup SQL computes it. */
export function bucketStart(at: number, rollup: Rollup): number {
  const size = rollupMs(rollup);
  if (size !== null) return ORIGIN_MS + Math.floor((at - ORIGIN_MS) / size) * size;
  const date = new Date(at);
  const months = rollup.unit === 'y' ? rollup.count * 12 : rollup.count;
  const index = date.getUTCFullYear() * 12 + date.getUTCMonth();
  const start = Math.floor(index / months) * months;
  return Date.UTC(Math.floor(start / 12), start % 12, 1);
}

function nextBucket(start: number, rollup: Rollup): number {
  const size = rollupMs(rollup);
  if (size !== null) return start + size;
  const date = new Date(start);
  const months = rollup.unit === 'y' ? rollup.count * 12 : rollup.count;
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1);
}

/** How many buckets [from, to) spans; stops counting past `max`. */
export function countIntervals(from: Date, to: Date, rollup: Rollup, max: number): number {
  const size = rollupMs(rollup);
  const first = bucketStart(from.getTime(), rollup);
  if (size !== null) return Math.ceil((to.getTime() - first) / size);
  let n = 0;
  for (let at = first; at < to.getTime() && n <= max; at = nextBucket(at, rollup)) n++;
  return n;
}

/**
 * Every bucket of [from, to), newest first: the computed value where there is one, null where no
 * reading fell (the web app draws those as gaps).
 */
export function fillIntervals<T extends { at: Date; value: number }>(
  buckets: T[],
  from: Date,
  to: Date,
  rollup: Rollup,
): { at: Date; value: number | null }[] {
  const values = new Map(buckets.map((b) => [b.at.getTime(), b.value]));
  const filled: { at: Date; value: number | null }[] = [];
  for (let at = bucketStart(from.getTime(), rollup); at < to.getTime(); at = nextBucket(at, rollup)) {
    filled.push({ at: new Date(at), value: values.get(at) ?? null });
  }
  return filled.reverse();
}
