/** The benchmark's arithmetic, kept pure so it can be unit-tested. */

/**
 * The p-th percentile (0–100) by linear interpolation between closest ranks (the method of
 * numpy's default and of most load-testing tools). NaN for an empty sample.
 */
export function percentile(values: readonly number[], p: number): number {
  if (p < 0 || p > 100 || Number.isNaN(p)) throw new RangeError(`percentile ${p} is outside 0..100`);
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (rank - lower);
}

/** The arithmetic mean; NaN for an empty sample. */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** Milliseconds of CPU per 1,000 events; NaN when nothing was counted. */
export function perThousand(cpuMs: number, count: number): number {
  return count > 0 ? (cpuMs * 1000) / count : Number.NaN;
}

/**
 * User + system CPU in milliseconds from the text of `/proc/<pid>/stat` (fields 14 and 15, in
 * clock ticks of `ticksPerSecond`). The command name (field 2) may hold spaces and parentheses,
 * so the fields are counted from the last `)`.
 */
export function cpuMsFromProcStat(text: string, ticksPerSecond = 100): number {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error('not the text of /proc/<pid>/stat');
  return (ticks * 1000) / ticksPerSecond;
}

/** `part` as a percentage of `whole`; NaN when there is nothing to compare with. */
export function percentOf(part: number, whole: number): number {
  return whole > 0 ? (part / whole) * 100 : Number.NaN;
}
