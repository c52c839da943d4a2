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

/** Events per second over a span in milliseconds; 0 for an empty or instantaneous span. */
export function perSecond(count: number, spanMs: number): number {
  if (spanMs <= 0 || count <= 0) return 0;
  return (count * 1000) / spanMs;
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

/**
 * How many of `total` events are due at `elapsedMs` into a run paced at `ratePerSecond`, for a
 * publisher that catches up after a stall rather than drifting.
 */
export function dueByNow(ratePerSecond: number, elapsedMs: number, total = Infinity): number {
  if (ratePerSecond <= 0 || elapsedMs <= 0) return 0;
  return Math.min(total, Math.floor((ratePerSecond * elapsedMs) / 1000));
}

/** `60s`, `2m`, `1500ms`, `90` (seconds) → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a duration (e.g. 60s, 2m, 500ms)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

/** `raw:90,json:10` → normalised weights { raw: 0.9, json: 0.1 }. */
export function parseMix(text: string): { raw: number; json: number } {
  const weights = { raw: 0, json: 0 };
  for (const part of text.split(',')) {
    const m = /^\s*(raw|json)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!m) throw new Error(`"${part}" in --mix is not kind:weight with kind raw or json`);
    weights[m[1] as 'raw' | 'json'] += Number(m[2]);
  }
  const total = weights.raw + weights.json;
  if (total <= 0) throw new Error('--mix needs a positive weight');
  return { raw: weights.raw / total, json: weights.json / total };
}
