import { ApiError } from '../common/api-error.js';
import { type Rollup, bucketStart, countIntervals, rollupMs } from './intervals.js';

const DEFAULT_SPAN_MS = 6 * 7 * 86_400_000;
/** all_intervals fills empty intervals only for rollups of at least this (the reference's rule). */
const FILL_FROM_MS = 10 * 60_000;
/** Most intervals all_intervals answers; more is a 400, not megabytes of nulls. */
export const MAX_FILLED_INTERVALS = 100_000;

/** `from` when it is not given: `relative` before `to`, else 6 weeks before it. */
export function spanBefore(to: Date, relative: Rollup | undefined): Date {
  if (!relative) return new Date(to.getTime() - DEFAULT_SPAN_MS);
  const size = rollupMs(relative);
  if (size !== null) return new Date(to.getTime() - size);
  const months = relative.unit === 'y' ? relative.count * 12 : relative.count;
  const from = new Date(to);
  from.setUTCMonth(from.getUTCMonth() - months);
  return from;
}

export function fillsIntervals(rollup: Rollup): boolean {
  const size = rollupMs(rollup);
  return size === null || size >= FILL_FROM_MS;
}

export function checkIntervalCount(from: Date, to: Date, rollup: Rollup & { text?: string }): void {
  const count = countIntervals(
    new Date(bucketStart(from.getTime(), rollup)),
    to,
    rollup,
    MAX_FILLED_INTERVALS,
  );
  if (count > MAX_FILLED_INTERVALS) {
    throw ApiError.badRequest(
      `all_intervals=true would answer more than ${MAX_FILLED_INTERVALS} intervals of ${rollup.text ?? `${rollup.count}${rollup.unit}`}: narrow from/to or use a larger rollup`,
    );
  }
}
